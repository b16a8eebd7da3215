#!/usr/bin/env python3
"""A command provisioner for `greeting` resources, written to score-k8s's protocol.

It reads one JSON object on stdin (the resource: resource_uid, resource_guid,
resource_params, source_workload, resource_state, shared_state, ...) and prints
one JSON object on stdout:

- resource_outputs: `message` (plain text) and `token` (a secret: the marker
  🔐💬<secret name>_<key>💬🔐 stands for key `token` of the Secret it creates);
- manifests: that Secret;
- resource_state and shared_state: what score-k8s keeps for the next run.

Errors go to stderr with a non-zero exit status. Arguments:
  --style plain|friendly   how to end the message (default: plain)
  --delay SECONDS          wait before answering (to exercise timeouts)
"""

import argparse
import base64
import hashlib
import json
import sys
import time

GREETINGS = {"de": "Hallo", "en": "Hello", "es": "Hola", "fr": "Bonjour"}


def fail(message):
    print(f"greeting-provisioner: {message}", file=sys.stderr)
    sys.exit(3)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--style", choices=["plain", "friendly"], default="plain")
    parser.add_argument("--delay", type=float, default=0)
    args = parser.parse_args()
    time.sleep(args.delay)

    request = json.load(sys.stdin)
    params = request.get("resource_params") or {}
    language = params.get("language", "en")
    if language not in GREETINGS:
        print(f"greeting-provisioner: read params {json.dumps(params)}", file=sys.stderr)
        fail(f"unknown language {language!r}; supported: {', '.join(sorted(GREETINGS))}")
    name = params.get("name") or request["source_workload"]
    ending = "!" if args.style == "friendly" else "."
    message = f"{GREETINGS[language]}, {name}{ending}"

    # score-k8s hands back the state of the previous run. The token is derived from the
    # guid rather than drawn at random, so that this example's output is reproducible.
    state = request.get("resource_state") or {}
    guid = request["resource_guid"]
    token = state.get("token") or hashlib.sha256(guid.encode()).hexdigest()[:24]
    secret_name = f"greeting-{guid[:8]}"

    metadata = {
        "name": secret_name,
        "annotations": {
            "k8s.score.dev/source-workload": request["source_workload"],
            "k8s.score.dev/resource-uid": request["resource_uid"],
            "k8s.score.dev/resource-guid": guid,
        },
    }
    if request.get("namespace"):
        metadata["namespace"] = request["namespace"]

    json.dump(
        {
            "resource_state": {"token": token},
            "resource_outputs": {
                "message": message,
                "token": f"\U0001F510\U0001F4AC{secret_name}_token\U0001F4AC\U0001F510",
            },
            "shared_state": {"greetings": {request["resource_uid"]: message}},
            "manifests": [
                {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "metadata": metadata,
                    "data": {"token": base64.b64encode(token.encode()).decode()},
                }
            ],
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
