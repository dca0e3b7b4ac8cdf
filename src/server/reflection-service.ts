import {
  create,
  type DescEnum,
  type DescExtension,
  type DescFile,
  type DescMessage,
  type DescService,
  toBinary,
} from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, type ConnectRouter } from "@connectrpc/connect";
import {
  ErrorResponseSchema,
  ExtensionNumberResponseSchema,
  FileDescriptorResponseSchema,
  ListServiceResponseSchema,
  ServerReflection,
  type ServerReflectionRequest,
  type ServerReflectionResponse,
  ServerReflectionResponseSchema,
} from "../../gen/grpc/reflection/v1/reflection_pb.js";

export interface ReflectionServiceOptions {
  /**
   * The services registered on the router, which `list_services` reports (the reflection service itself is always
   * added). Their files, and every file those import transitively (google/protobuf well-known types included), are
   * what the other requests can find. Required.
   */
  services: readonly DescService[];
  /**
   * More files to make findable, with their imports, e.g. for message types only reachable through
   * `google.protobuf.Any` or error details. Default: none.
   */
  files?: readonly DescFile[];
}

type Answer = ServerReflectionResponse["messageResponse"];

/** What `createReflectionService` returns: how to mount the service. */
export interface ReflectionService {
  /** Mounts `grpc.reflection.v1.ServerReflection` on the router. */
  register(router: ConnectRouter): void;
}

/**
 * Creates the gRPC server reflection service (grpc.reflection.v1), so that `buf curl`, grpcurl and grpcui can list,
 * describe and call the API with no proto files. Answers come from protobuf-es descriptors, serialized back to
 * `FileDescriptorProto`.
 */
export function createReflectionService(options: ReflectionServiceOptions): ReflectionService {
  const index = createDescriptorIndex([
    ServerReflection.file,
    ...options.services.map((service) => service.file),
    ...(options.files ?? []),
  ]);
  // Files never change after start: serialize each once, not per request.
  const serialized = new Map<DescFile, Uint8Array>();
  const toBytes = (file: DescFile): Uint8Array => {
    let bytes = serialized.get(file);
    if (bytes === undefined) {
      bytes = toBinary(FileDescriptorProtoSchema, file.proto);
      serialized.set(file, bytes);
    }
    return bytes;
  };
  const serviceNames = [...new Set([...options.services.map((s) => s.typeName), ServerReflection.typeName])];

  const answer = (request: ServerReflectionRequest): Answer => {
    const error = (code: Code, errorMessage: string): Answer => ({
      case: "errorResponse",
      value: create(ErrorResponseSchema, { errorCode: code, errorMessage }),
    });
    const notFound = (what: string) => error(Code.NotFound, `${what} not found`);
    const files = (file: DescFile | undefined, what: string): Answer =>
      file === undefined
        ? notFound(what)
        : {
            case: "fileDescriptorResponse",
            value: create(FileDescriptorResponseSchema, {
              fileDescriptorProto: withDependencies(file).map(toBytes),
            }),
          };
    const req = request.messageRequest;
    switch (req.case) {
      case "listServices":
        return {
          case: "listServicesResponse",
          value: create(ListServiceResponseSchema, { service: serviceNames.map((name) => ({ name })) }),
        };
      case "fileByFilename":
        return files(index.files.get(req.value), `file "${req.value}"`);
      case "fileContainingSymbol":
        return files(index.symbols.get(stripDot(req.value)), `symbol "${req.value}"`);
      case "fileContainingExtension": {
        const { containingType, extensionNumber } = req.value;
        const extension = index.extensions.get(stripDot(containingType))?.get(extensionNumber);
        return files(extension?.file, `extension ${extensionNumber} of "${containingType}"`);
      }
      case "allExtensionNumbersOfType": {
        const typeName = stripDot(req.value);
        if (!index.messages.has(typeName)) return notFound(`message type "${req.value}"`);
        return {
          case: "allExtensionNumbersResponse",
          value: create(ExtensionNumberResponseSchema, {
            baseTypeName: typeName,
            extensionNumber: [...(index.extensions.get(typeName)?.keys() ?? [])].sort((a, b) => a - b),
          }),
        };
      }
      default:
        // Answered in-band like the others, so one malformed request does not end a session of good ones.
        return error(Code.InvalidArgument, "request names no message_request");
    }
  };

  return {
    register(router) {
      router.service(ServerReflection, {
        async *serverReflectionInfo(requests) {
          for await (const request of requests) {
            yield create(ServerReflectionResponseSchema, {
              validHost: request.host,
              originalRequest: request,
              messageResponse: answer(request),
            });
          }
        },
      });
    },
  };
}

/** Lookup tables over a closed set of files: by file name, by fully-qualified symbol, and extensions by extendee. */
interface DescriptorIndex {
  readonly files: ReadonlyMap<string, DescFile>;
  readonly symbols: ReadonlyMap<string, DescFile>;
  readonly messages: ReadonlySet<string>;
  readonly extensions: ReadonlyMap<string, ReadonlyMap<number, DescExtension>>;
}

function createDescriptorIndex(roots: readonly DescFile[]): DescriptorIndex {
  const files = new Map<string, DescFile>();
  const symbols = new Map<string, DescFile>();
  const messages = new Set<string>();
  const extensions = new Map<string, Map<number, DescExtension>>();

  const addExtension = (ext: DescExtension) => {
    symbols.set(ext.typeName, ext.file);
    let byNumber = extensions.get(ext.extendee.typeName);
    if (byNumber === undefined) {
      byNumber = new Map();
      extensions.set(ext.extendee.typeName, byNumber);
    }
    byNumber.set(ext.number, ext);
  };
  const addEnum = (desc: DescEnum) => {
    symbols.set(desc.typeName, desc.file);
    // Enum values are scoped as siblings of their enum (C++ scoping rules), not inside it.
    const scope = desc.typeName.slice(0, Math.max(0, desc.typeName.lastIndexOf(".")));
    for (const value of desc.values) symbols.set(scope === "" ? value.name : `${scope}.${value.name}`, desc.file);
  };
  const addMessage = (desc: DescMessage) => {
    symbols.set(desc.typeName, desc.file);
    messages.add(desc.typeName);
    for (const field of desc.fields) symbols.set(`${desc.typeName}.${field.name}`, desc.file);
    for (const oneof of desc.oneofs) symbols.set(`${desc.typeName}.${oneof.name}`, desc.file);
    desc.nestedMessages.forEach(addMessage);
    desc.nestedEnums.forEach(addEnum);
    desc.nestedExtensions.forEach(addExtension);
  };

  for (const file of roots.flatMap(withDependencies)) {
    if (files.has(file.proto.name)) continue;
    files.set(file.proto.name, file);
    for (const service of file.services) {
      symbols.set(service.typeName, file);
      for (const method of service.methods) symbols.set(`${service.typeName}.${method.name}`, file);
    }
    file.messages.forEach(addMessage);
    file.enums.forEach(addEnum);
    file.extensions.forEach(addExtension);
  }
  return { files, symbols, messages, extensions };
}

/** The file first, then each file it imports transitively, each once (reflection clients expect the asked-for file first). */
function withDependencies(file: DescFile): DescFile[] {
  const seen = new Set<DescFile>();
  const visit = (f: DescFile) => {
    if (seen.has(f)) return;
    seen.add(f);
    f.dependencies.forEach(visit);
  };
  visit(file);
  return [...seen];
}

/** Clients may send fully-qualified names with protobuf's leading dot (".pkg.Msg"). */
function stripDot(name: string): string {
  return name.startsWith(".") ? name.slice(1) : name;
}
