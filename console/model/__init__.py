"""The platform contract and the shared vocabulary: plain data, no Qt, no I/O."""
