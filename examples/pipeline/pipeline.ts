// A pipeline step: start an update and follow it to its end with the generated TypeScript client.
//
//   UPDATE_MANAGER_URL=https://update-manager.example.com UPDATE_MANAGER_API_KEY=... \
//     npx tsx pipeline.ts registry.example.com/shop/web:1.5.0 shop
//
// Exits 0 when the update succeeded, 3 when it was rolled back, 1 otherwise (the update-manager CLI's codes).
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { UpdateState } from "update-manager/gen/updatemanager/v1/update_pb.js";
import { UpdateService } from "update-manager/gen/updatemanager/v1/update_service_pb.js";

const [image, classifier] = process.argv.slice(2);
if (image === undefined || classifier === undefined) {
  console.error("usage: pipeline.ts IMAGE CLASSIFIER");
  process.exit(2);
}

const apiKey = process.env.UPDATE_MANAGER_API_KEY;
const bearer: Interceptor = (next) => (req) => {
  if (apiKey) req.header.set("Authorization", `Bearer ${apiKey}`);
  return next(req);
};
// Connect over HTTP/1.1 passes every proxy; use httpVersion "2" (or createGrpcTransport) where HTTP/2 is end to end.
const transport = createConnectTransport({
  baseUrl: process.env.UPDATE_MANAGER_URL ?? "http://localhost:9000",
  httpVersion: "1.1",
  interceptors: [bearer],
});
const client = createClient(UpdateService, transport);

// The same key from a retried step returns the first update instead of starting a second one.
const runId = process.env.GITHUB_RUN_ID;
const idempotencyKey = runId ? `${runId}-${process.env.GITHUB_RUN_ATTEMPT ?? "1"}-${image}` : "";
const { update } = await client.update({ image, classifier, idempotencyKey });
if (update === undefined) throw new Error("Update answered without an update");
console.log(`update ${update.id} ${UpdateState[update.state]}`);

let afterSequence = 0n;
for (let attempt = 0; attempt < 20; attempt++) {
  try {
    for await (const { message } of client.watchUpdate({ updateId: update.id, afterSequence })) {
      if (message.case !== "event") continue; // a heartbeat
      const event = message.value;
      afterSequence = event.sequence;
      console.log(`[${event.sequence}] ${event.kind.case}`);
      if (event.kind.case === "finished") {
        const { state, reason } = event.kind.value;
        console.log(`finished: ${UpdateState[state]}${reason ? `: ${reason}` : ""}`);
        process.exit(state === UpdateState.SUCCEEDED ? 0 : state === UpdateState.ROLLED_BACK ? 3 : 1);
      }
    }
  } catch (error) {
    // The stream dropped (a proxy, a restart of the manager): resume after the last event seen.
    if (ConnectError.from(error).code !== Code.Unavailable) throw error;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
console.error(`lost the watch of update ${update.id}; it goes on in the cluster`);
process.exit(1);
