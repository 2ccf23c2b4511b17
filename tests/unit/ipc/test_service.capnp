# A service for testing the RPC glue: calls, calls that wait for a release, callbacks.
@0xcca12e0df33b0b86;

interface Listener {
  notify @0 (n :UInt32) -> ();
}

interface TestService {
  echo @0 (text :Text) -> (text :Text);
  # Answers only once `release` is called with the same key (or never).
  hold @1 (key :Text) -> (text :Text);
  release @2 (key :Text) -> (released :Bool);
  # How many `hold` calls are pending on the server.
  held @3 () -> (count :UInt32);
  # Calls listener.notify(0..count-1), each after the previous one returned.
  watch @4 (listener :Listener, count :UInt32) -> ();
}
