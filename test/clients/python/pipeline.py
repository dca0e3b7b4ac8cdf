"""A pipeline step in Python: start an update and follow it to its end.

Uses only code generated from proto/ (protoc --python_out --grpc_python_out; nothing generated is committed) and
the grpcio and protobuf runtimes. Prints one JSON object per line: {"update": ...} for the answer of Update, then
{"event": ...} for each WatchUpdate event, then {"result": ...}. Exits 0 on SUCCEEDED, 3 on ROLLED_BACK, 1 on any
other end, 2 for invalid input, 5 for authentication or permission errors (the update-manager CLI's exit codes).

    PYTHONPATH=<generated> python3 pipeline.py --target 127.0.0.1:9000 --image IMAGE --classifier CLASSIFIER
"""

import argparse
import json
import os
import sys

import grpc
from google.protobuf import json_format

from google.rpc import error_details_pb2, status_pb2
from updatemanager.v1 import update_pb2, update_service_pb2, update_service_pb2_grpc


def emit(kind, message):
    print(json.dumps({kind: json_format.MessageToDict(message)}), flush=True)


def error_reason(error):
    """The google.rpc.ErrorInfo reason the server sends in the grpc-status-details-bin trailer."""
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                    info = error_details_pb2.ErrorInfo()
                    detail.Unpack(info)
                    return info.reason
    return ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True, help="host:port of the API port")
    parser.add_argument("--image", required=True)
    parser.add_argument("--classifier", required=True)
    parser.add_argument("--idempotency-key", default="")
    args = parser.parse_args()

    api_key = os.environ.get("UPDATE_MANAGER_API_KEY", "")
    metadata = [("authorization", f"Bearer {api_key}")] if api_key else []

    with grpc.insecure_channel(args.target) as channel:
        stub = update_service_pb2_grpc.UpdateServiceStub(channel)
        try:
            answer = stub.Update(
                update_service_pb2.UpdateRequest(
                    image=args.image, classifier=args.classifier, idempotency_key=args.idempotency_key
                ),
                metadata=metadata,
                timeout=30,
            )
            emit("update", answer.update)
            update_id = answer.update.id
            last_sequence = 0
            # Resume after a dropped stream from the last event seen, as the contract describes.
            for _ in range(10):
                try:
                    stream = stub.WatchUpdate(
                        update_service_pb2.WatchUpdateRequest(update_id=update_id, after_sequence=last_sequence),
                        metadata=metadata,
                    )
                    for message in stream:
                        if message.WhichOneof("message") != "event":
                            continue
                        event = message.event
                        last_sequence = event.sequence
                        emit("event", event)
                        if event.WhichOneof("kind") == "finished":
                            state = event.finished.state
                            print(json.dumps({"result": {"updateId": update_id,
                                                         "state": update_pb2.UpdateState.Name(state)}}), flush=True)
                            if state == update_pb2.UPDATE_STATE_SUCCEEDED:
                                return 0
                            return 3 if state == update_pb2.UPDATE_STATE_ROLLED_BACK else 1
                except grpc.RpcError as error:
                    if error.code() != grpc.StatusCode.UNAVAILABLE:
                        raise
            return 1
        except grpc.RpcError as error:
            print(json.dumps({"error": {"code": error.code().name, "reason": error_reason(error),
                                        "message": error.details()}}), flush=True)
            if error.code() in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
                return 5
            if error.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND):
                return 2
            return 1


if __name__ == "__main__":
    sys.exit(main())
