import { create, createFileRegistry, fromBinary, type MessageInitShape } from "@bufbuild/protobuf";
import {
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
  file_google_protobuf_any,
} from "@bufbuild/protobuf/wkt";
import { Code, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import {
  ServerReflection,
  type ServerReflectionRequestSchema,
  type ServerReflectionResponse,
} from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";
import { createReflectionService, type ReflectionServiceOptions } from "../../src/server/reflection-service.js";

type Request = MessageInitShape<typeof ServerReflectionRequestSchema>;

/** Sends the requests on one ServerReflectionInfo stream and collects every answer. */
async function reflect(
  requests: Request[],
  options: ReflectionServiceOptions = { services: [UpdateService, Health] },
): Promise<ServerReflectionResponse[]> {
  const reflection = createReflectionService(options);
  const client = createClient(ServerReflection, createRouterTransport((router) => reflection.register(router)));
  async function* send() {
    yield* requests;
  }
  const responses: ServerReflectionResponse[] = [];
  for await (const response of client.serverReflectionInfo(send())) responses.push(response);
  return responses;
}

async function reflectOne(request: Request, options?: ReflectionServiceOptions): Promise<ServerReflectionResponse> {
  const [response, ...more] = await reflect([request], options);
  expect(more).toEqual([]);
  return response!;
}

function files(response: ServerReflectionResponse): FileDescriptorProto[] {
  if (response.messageResponse.case !== "fileDescriptorResponse") {
    throw new Error(`expected files, got ${response.messageResponse.case}: ${JSON.stringify(response.messageResponse.value)}`);
  }
  return response.messageResponse.value.fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes));
}

function errorOf(response: ServerReflectionResponse) {
  if (response.messageResponse.case !== "errorResponse") throw new Error(`expected an error, got ${response.messageResponse.case}`);
  return response.messageResponse.value;
}

/**
 * Orders files so each comes after its imports, as a FileDescriptorSet must be. Throws if an import is missing:
 * building the schema from the answer alone proves the answer is self-contained.
 */
function importsFirst(protos: FileDescriptorProto[]): FileDescriptorProto[] {
  const ordered: FileDescriptorProto[] = [];
  const remaining = [...protos];
  while (remaining.length > 0) {
    const next = remaining.findIndex((p) => p.dependency.every((dep) => ordered.some((o) => o.name === dep)));
    if (next < 0) throw new Error(`imports missing from the answer: ${remaining.map((p) => p.dependency).join(", ")}`);
    ordered.push(...remaining.splice(next, 1));
  }
  return ordered;
}

describe("reflection list_services", () => {
  it("lists the services given, plus reflection itself", async () => {
    const response = await reflectOne({ messageRequest: { case: "listServices", value: "*" } });
    expect(response.messageResponse.case).toBe("listServicesResponse");
    const names = response.messageResponse.case === "listServicesResponse" ? response.messageResponse.value.service.map((s) => s.name) : [];
    expect(names.sort()).toEqual(["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "updatemanager.v1.UpdateService"]);
  });
});

describe("reflection file_containing_symbol", () => {
  it.each([
    ["a service", "updatemanager.v1.UpdateService", "updatemanager/v1/update_service.proto"],
    ["a method", "updatemanager.v1.UpdateService.ListTargets", "updatemanager/v1/update_service.proto"],
    ["a request message", "updatemanager.v1.UpdateRequest", "updatemanager/v1/update_service.proto"],
    ["a message from an imported file", "updatemanager.v1.UpdateEvent", "updatemanager/v1/event.proto"],
    ["a top-level enum", "updatemanager.v1.UpdateState", "updatemanager/v1/update.proto"],
    ["an enum value", "updatemanager.v1.UPDATE_STATE_RUNNING", "updatemanager/v1/update.proto"],
    ["a nested enum", "grpc.health.v1.HealthCheckResponse.ServingStatus", "grpc/health/v1/health.proto"],
    ["a nested enum value", "grpc.health.v1.HealthCheckResponse.SERVING", "grpc/health/v1/health.proto"],
    ["a field", "updatemanager.v1.UpdateRequest.image", "updatemanager/v1/update_service.proto"],
    ["a well-known type", "google.protobuf.Duration", "google/protobuf/duration.proto"],
    ["the reflection service", "grpc.reflection.v1.ServerReflection", "grpc/reflection/v1/reflection.proto"],
    ["a name with a leading dot", ".updatemanager.v1.UpdateRequest", "updatemanager/v1/update_service.proto"],
  ])("finds %s (%s) and answers its file first", async (_, symbol, file) => {
    const response = await reflectOne({ messageRequest: { case: "fileContainingSymbol", value: symbol } });
    expect(files(response)[0]?.name).toBe(file);
  });

  it("sends every transitive import, well-known types included, each once", async () => {
    const protos = files(
      await reflectOne({ messageRequest: { case: "fileContainingSymbol", value: "updatemanager.v1.UpdateService" } }),
    );
    const names = protos.map((p) => p.name);
    expect(names[0]).toBe("updatemanager/v1/update_service.proto");
    expect([...names].sort()).toEqual([
      "google/protobuf/duration.proto",
      "google/protobuf/timestamp.proto",
      "updatemanager/v1/approval.proto",
      "updatemanager/v1/available_update.proto",
      "updatemanager/v1/event.proto",
      "updatemanager/v1/gate.proto",
      "updatemanager/v1/quarantine.proto",
      "updatemanager/v1/update.proto",
      "updatemanager/v1/update_service.proto",
      "updatemanager/v1/workload.proto",
    ]);
  });

  it("sends descriptors a client can rebuild the full schema from", async () => {
    const protos = files(
      await reflectOne({ messageRequest: { case: "fileContainingSymbol", value: "updatemanager.v1.UpdateService" } }),
    );
    const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: importsFirst(protos) }));
    const service = registry.getService("updatemanager.v1.UpdateService");
    expect(service?.methods.map((m) => m.name)).toEqual(UpdateService.methods.map((m) => m.name));
    const request = registry.getMessage("updatemanager.v1.UpdateRequest");
    expect(request?.field.updateTimeout?.message?.typeName).toBe("google.protobuf.Duration");
    expect(request?.fields.map((f) => [f.name, f.number])).toEqual(
      UpdateService.method.update.input.fields.map((f) => [f.name, f.number]),
    );
  });
});

describe("reflection file_by_filename", () => {
  it("answers a file of the API with its imports", async () => {
    const protos = files(await reflectOne({ messageRequest: { case: "fileByFilename", value: "updatemanager/v1/update.proto" } }));
    expect(protos.map((p) => p.name)).toEqual(
      expect.arrayContaining(["updatemanager/v1/update.proto", "google/protobuf/duration.proto", "updatemanager/v1/workload.proto"]),
    );
    expect(protos[0]?.name).toBe("updatemanager/v1/update.proto");
  });

  it("answers a well-known type file", async () => {
    const protos = files(await reflectOne({ messageRequest: { case: "fileByFilename", value: "google/protobuf/timestamp.proto" } }));
    expect(protos.map((p) => p.name)).toEqual(["google/protobuf/timestamp.proto"]);
    expect(protos[0]?.messageType.map((m) => m.name)).toEqual(["Timestamp"]);
  });

  it("finds extra files given in options", async () => {
    const request: Request = { messageRequest: { case: "fileByFilename", value: "google/protobuf/any.proto" } };
    expect(errorOf(await reflectOne(request)).errorCode).toBe(Code.NotFound);
    const withAny = await reflectOne(request, { services: [UpdateService], files: [file_google_protobuf_any] });
    expect(files(withAny).map((p) => p.name)).toEqual(["google/protobuf/any.proto"]);
  });
});

describe("reflection errors and extensions", () => {
  it("answers NOT_FOUND in-band and keeps the stream open for the next request", async () => {
    const responses = await reflect([
      { host: "h1", messageRequest: { case: "fileContainingSymbol", value: "no.such.Symbol" } },
      { host: "h2", messageRequest: { case: "fileByFilename", value: "no/such.proto" } },
      { host: "h3", messageRequest: { case: "fileContainingSymbol", value: "updatemanager.v1.UpdateService" } },
      { host: "h4", messageRequest: { case: undefined } },
    ]);
    expect(responses).toHaveLength(4);
    expect(errorOf(responses[0]!)).toMatchObject({ errorCode: Code.NotFound, errorMessage: expect.stringContaining("no.such.Symbol") });
    expect(errorOf(responses[1]!)).toMatchObject({ errorCode: Code.NotFound, errorMessage: expect.stringContaining("no/such.proto") });
    expect(files(responses[2]!)[0]?.name).toBe("updatemanager/v1/update_service.proto");
    expect(errorOf(responses[3]!).errorCode).toBe(Code.InvalidArgument);
  });

  it("echoes valid_host and original_request", async () => {
    const response = await reflectOne({ host: "example:443", messageRequest: { case: "fileByFilename", value: "x.proto" } });
    expect(response.validHost).toBe("example:443");
    expect(response.originalRequest?.host).toBe("example:443");
    expect(response.originalRequest?.messageRequest).toEqual({ case: "fileByFilename", value: "x.proto" });
  });

  it("answers an empty extension list for a known message and NOT_FOUND for an unknown one", async () => {
    const [known, unknown] = await reflect([
      { messageRequest: { case: "allExtensionNumbersOfType", value: "updatemanager.v1.UpdateRequest" } },
      { messageRequest: { case: "allExtensionNumbersOfType", value: "no.such.Message" } },
    ]);
    expect(known?.messageResponse).toMatchObject({
      case: "allExtensionNumbersResponse",
      value: { baseTypeName: "updatemanager.v1.UpdateRequest", extensionNumber: [] },
    });
    expect(errorOf(unknown!).errorCode).toBe(Code.NotFound);
  });

  it("answers NOT_FOUND for an extension no file declares", async () => {
    const response = await reflectOne({
      messageRequest: { case: "fileContainingExtension", value: { containingType: "updatemanager.v1.UpdateRequest", extensionNumber: 100 } },
    });
    expect(errorOf(response).errorCode).toBe(Code.NotFound);
  });
});
