/** `--help` texts, one per command. Kept next to each other so flags read the same everywhere. */

const connectionFlags = `Connection (every command):
  --url URL              The manager's API address [env UPDATE_MANAGER_URL; default http://localhost:9000].
                         The original CLI's endpoint form (https://host/updates) works too, and each
                         UPDATE_MANAGER_* variable here also as the original's older UPDATE_MANGER_* (sic).
  --api-key KEY          API key, sent as "Authorization: Bearer KEY" [env UPDATE_MANAGER_API_KEY].
  --id-token-file FILE   File holding a CI identity (OIDC) token, read on every call
                         [env UPDATE_MANAGER_ID_TOKEN_FILE; or the token itself in UPDATE_MANAGER_ID_TOKEN].
  --protocol P           connect (default), grpc or grpc-web [env UPDATE_MANAGER_PROTOCOL].
  --http-version V       1.1 or 2 [default: 2 for https, 1.1 for http; gRPC always 2].
  -o, --output FORMAT    text (default: live progress on a terminal, one line per event otherwise) or json
                         (one JSON object per line, ending with a {"result": ...} line).
  -h, --help             This help.
  The W3C trace context in TRACEPARENT (and TRACESTATE) goes with every call: the update continues that trace.`;

const exitCodes = `Exit codes:
  0 succeeded   1 failed   2 usage or invalid input   3 rolled back   4 wait timed out
  5 authentication or permission`;

export const helpTexts: Readonly<Record<string, string>> = {
  "": `update-manager: ship images to Kubernetes through the Update Manager, from a pipeline or a terminal.

Usage:
  update-manager update --image IMAGE --classifier CLASSIFIER [--wait] [flags]
  update-manager watch UPDATE_ID [flags]
  update-manager targets [--classifier C] [flags]
  update-manager updates [--classifier C] [--state S] [flags]
  update-manager approve UPDATE_ID | reject UPDATE_ID [--reason R]
  update-manager freeze [--reason R] | freeze --status | unfreeze
  update-manager plans [NAME [--dry-run]] | plans watch NAME

Commands:
  update    Start an update (and follow it with --wait).
  watch     Follow an update to its end; resumes after disconnects.
  targets   List the workloads and migration templates that opted in.
  updates   List recent updates, newest first.
  approve   Approve an update that waits for approval (needs the "approve" scope; not your own).
  reject    Reject an update that waits for approval: it ends FAILED.
  freeze    Freeze updates everywhere (needs the "freeze" scope); --status shows the freeze.
  unfreeze  Lift the freeze: held updates move again.
  plans     Node upgrade plans: list them, show one, its node order (--dry-run), or follow it (watch).

Run "update-manager COMMAND --help" for a command's flags. --version prints the version.

${exitCodes}`,

  update: `Usage: update-manager update --image IMAGE --classifier CLASSIFIER [flags]

Starts an update of every workload that opted in with CLASSIFIER and uses IMAGE's repository. Without --wait
it prints the update's id and exits 0 once the update is recorded.

Flags:
  --image IMAGE            The new image, with tag and/or digest [env UPDATE_MANAGER_IMAGE].
  --classifier C           The classifier the targets opted in with; --update-classifier is the original's
                           name [env UPDATE_MANAGER_CLASSIFIER or UPDATE_MANAGER_UPDATE_CLASSIFIER].
  --wait                   Follow the update to its end; the exit code tells how it ended.
  --update-timeout D       Deadline of the whole update on the server, e.g. 10m [server default 15m].
  --wait-timeout D         Stop waiting after D (implies --wait): exit 4 and print the id; the update goes on.
  --dry-run                Print the plan; change and record nothing.
  --idempotency-key K      Makes retries safe [env UPDATE_MANAGER_IDEMPOTENCY_KEY; default: derived from the
                           GitHub Actions or GitLab CI job].
  --no-idempotency-key     Send no key, not even a derived one.
  --override-quarantine    Allow an image that is quarantined for some target.

${connectionFlags}

${exitCodes}`,

  watch: `Usage: update-manager watch UPDATE_ID [flags]

Follows an update to its terminal event, printing every event from the start (or after --after-sequence).
Resumes where it left off when the connection drops. The exit code tells how the update ended.

Flags:
  --after-sequence N       Print only events after sequence number N.
  --wait-timeout D         Stop waiting after D, e.g. 30m: exit 4; the update goes on.

${connectionFlags}

${exitCodes}`,

  targets: `Usage: update-manager targets [flags]

Lists the workloads and migration templates that opted in, with their images and rollout state.

Flags:
  --classifier C           Only targets of this classifier (--update-classifier works too).
  --repository R           Only targets with a container of this image repository.
  --namespace N            Only targets in this namespace.

${connectionFlags}`,

  updates: `Usage: update-manager updates [flags]

Lists updates, newest first.

Flags:
  --classifier C           Only updates of this classifier (--update-classifier works too).
  --state S                Only updates in this state (queued, waiting-for-approval, waiting-for-gate, pending,
                           running, rolling-back, succeeded, failed, rolled-back, rollback-failed, cancelled); repeat for
                           several.
  --requester R            Only updates asked for by R.
  --limit N                At most N updates [default 20].

${connectionFlags}`,

  approve: `Usage: update-manager approve UPDATE_ID [flags]

Approves an update that waits for approval (state WAITING_FOR_APPROVAL). Your credential needs the "approve"
scope covering the update, and must not be the one that asked for it. Approving twice counts once. With enough
distinct approvals the update runs (or queues behind busy targets).

${connectionFlags}

${exitCodes} (1: the update does not wait for approval)`,

  reject: `Usage: update-manager reject UPDATE_ID [--reason R] [flags]

Rejects an update that waits for approval: it ends FAILED (APPROVAL_REJECTED) and changes nothing.

Flags:
  --reason R               Why; recorded in the update's events and reason.

${connectionFlags}

${exitCodes} (1: the update does not wait for approval)`,

  freeze: `Usage: update-manager freeze [--reason R] [flags]
       update-manager freeze --status [flags]

Freezes updates everywhere until "update-manager unfreeze": no update starts (running ones go on), queued and
approved updates hold, the registry watcher holds, and new updates are refused (FROZEN) or queued, as the
server's policy says. Needs the "freeze" scope with no classifier, namespace or repository restriction.

Flags:
  --reason R               Why; shown to everyone whose update is refused or held.
  --status                 Only show the freeze in force (needs a read scope).

${connectionFlags}

${exitCodes}`,

  plans: `Usage: update-manager plans [flags]                  List the node upgrade plans.
       update-manager plans NAME [--dry-run] [flags]   Show one plan: its state, conditions and nodes.
       update-manager plans watch NAME [flags]         Follow the plan's events until it is complete, failed
                                                       or invalid; resumes after disconnects and failovers.

Flags:
  --dry-run              With NAME: list the nodes the plan selects, in the order it takes them, and what it
                         does with each now (done, applying, failed, pending, skipped). Changes nothing.
  --after-sequence N     watch: only events after this sequence number (resume a watch).
  --wait-timeout D       watch: stop waiting after this long (exit 4); the plan goes on.
Needs the "plans" or "read" scope with a grant for every classifier, namespace and repository.

${connectionFlags}

Exit codes (plans watch): 0 complete, 1 failed or invalid (or the server unreachable), 2 unknown plan or a resume
  older than the events the plan keeps, 4 wait timed out, 5 authentication or permission.`,

  unfreeze: `Usage: update-manager unfreeze [flags]

Lifts the freeze: held updates move again, in their queue order. Needs the "freeze" scope.

${connectionFlags}

${exitCodes}`,
};
