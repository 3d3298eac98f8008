#!/usr/bin/env bash
# Regenerates the committed protobuf/gRPC code under proto/pantau/v1 from the
# .proto sources. Needs grpcio-tools at the version pinned in pyproject.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-proto}
python -m grpc_tools.protoc -I proto \
  --python_out="$out" --pyi_out="$out" --grpc_python_out="$out" \
  proto/pantau/v1/*.proto
