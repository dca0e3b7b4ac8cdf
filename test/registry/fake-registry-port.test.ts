import { describeRegistryCredentialContract } from "../contract/registry-credential-contract.js";
import { createFakeRegistryPort } from "./fake-registry-port.js";

describeRegistryCredentialContract("the tests' fake", () => createFakeRegistryPort(new Map()).port);
