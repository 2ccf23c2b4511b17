// Typed errors for talking to an L1 node over bitcoind's JSON-RPC: how the call failed
// (transport, auth, HTTP, a malformed answer, or an RPC error) and, for RPC errors,
// bitcoind's error code as an enum. l1sim uses the same codes when it answers.
#pragma once

#include <string>
#include <string_view>

namespace fulgur::chain {

// bitcoind's RPC error codes (src/rpc/protocol.h), the ones Fulgur meets or sends.
enum class RpcCode : int {
  InvalidRequest = -32600,
  MethodNotFound = -32601,
  InvalidParams = -32602,
  InternalError = -32603,
  ParseError = -32700,
  MiscError = -1,
  TypeError = -3,
  InvalidAddressOrKey = -5,
  OutOfMemory = -7,
  InvalidParameter = -8,
  DatabaseError = -20,
  DeserializationError = -22,
  VerifyError = -25,
  VerifyRejected = -26,
  VerifyAlreadyInChain = -27,
  InWarmup = -28,
  MethodDeprecated = -32,
  WalletError = -4,
  WalletInsufficientFunds = -6,
  WalletInvalidLabelName = -11,
  WalletKeypoolRanOut = -12,
  WalletUnlockNeeded = -13,
  WalletNotFound = -18,
  WalletNotSpecified = -19,
  WalletAlreadyLoaded = -35,
  ClientNotConnected = -9,
  ClientInInitialDownload = -10,
};

// The name of a known code ("RPC_VERIFY_REJECTED"), or "RPC_UNKNOWN".
const char* to_string(RpcCode code);
// True when `code` is one of the enum's values.
bool is_known_rpc_code(int code);

enum class ChainErrorKind {
  Transport,     // could not connect, timed out, connection dropped
  Unauthorized,  // HTTP 401: wrong rpcuser/rpcpassword or a stale cookie
  Http,          // another HTTP status without a JSON-RPC body
  BadResponse,   // the body is not the JSON-RPC answer we asked for
  Rpc,           // the node answered with a JSON-RPC error: see `code`
  Config,        // our side: cookie file unreadable, bad URL
};

const char* to_string(ChainErrorKind kind);

struct ChainError {
  ChainErrorKind kind = ChainErrorKind::Transport;
  int code = 0;  // the RPC error code (kind Rpc) or the HTTP status (Unauthorized, Http)
  std::string message;

  bool is_rpc(RpcCode c) const { return kind == ChainErrorKind::Rpc && code == static_cast<int>(c); }
  // "rpc error -26 (RPC_VERIFY_REJECTED): min relay fee not met"
  std::string describe() const;

  friend bool operator==(const ChainError&, const ChainError&) = default;
};

ChainError rpc_error(RpcCode code, std::string message);

}  // namespace fulgur::chain
