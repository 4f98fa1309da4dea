"""gRPC servicers: thin translations between protobuf requests and the engine."""
