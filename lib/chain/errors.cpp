// Names for bitcoind's RPC error codes and for the ways an L1 call fails.
#include "chain/errors.h"

#include <fmt/core.h>

namespace fulgur::chain {

const char* to_string(RpcCode code) {
  switch (code) {
    case RpcCode::InvalidRequest: return "RPC_INVALID_REQUEST";
    case RpcCode::MethodNotFound: return "RPC_METHOD_NOT_FOUND";
    case RpcCode::InvalidParams: return "RPC_INVALID_PARAMS";
    case RpcCode::InternalError: return "RPC_INTERNAL_ERROR";
    case RpcCode::ParseError: return "RPC_PARSE_ERROR";
    case RpcCode::MiscError: return "RPC_MISC_ERROR";
    case RpcCode::TypeError: return "RPC_TYPE_ERROR";
    case RpcCode::InvalidAddressOrKey: return "RPC_INVALID_ADDRESS_OR_KEY";
    case RpcCode::OutOfMemory: return "RPC_OUT_OF_MEMORY";
    case RpcCode::InvalidParameter: return "RPC_INVALID_PARAMETER";
    case RpcCode::DatabaseError: return "RPC_DATABASE_ERROR";
    case RpcCode::DeserializationError: return "RPC_DESERIALIZATION_ERROR";
    case RpcCode::VerifyError: return "RPC_VERIFY_ERROR";
    case RpcCode::VerifyRejected: return "RPC_VERIFY_REJECTED";
    case RpcCode::VerifyAlreadyInChain: return "RPC_VERIFY_ALREADY_IN_CHAIN";
    case RpcCode::InWarmup: return "RPC_IN_WARMUP";
    case RpcCode::MethodDeprecated: return "RPC_METHOD_DEPRECATED";
    case RpcCode::WalletError: return "RPC_WALLET_ERROR";
    case RpcCode::WalletInsufficientFunds: return "RPC_WALLET_INSUFFICIENT_FUNDS";
    case RpcCode::WalletInvalidLabelName: return "RPC_WALLET_INVALID_LABEL_NAME";
    case RpcCode::WalletKeypoolRanOut: return "RPC_WALLET_KEYPOOL_RAN_OUT";
    case RpcCode::WalletUnlockNeeded: return "RPC_WALLET_UNLOCK_NEEDED";
    case RpcCode::WalletNotFound: return "RPC_WALLET_NOT_FOUND";
    case RpcCode::WalletNotSpecified: return "RPC_WALLET_NOT_SPECIFIED";
    case RpcCode::WalletAlreadyLoaded: return "RPC_WALLET_ALREADY_LOADED";
    case RpcCode::ClientNotConnected: return "RPC_CLIENT_NOT_CONNECTED";
    case RpcCode::ClientInInitialDownload: return "RPC_CLIENT_IN_INITIAL_DOWNLOAD";
  }
  return "RPC_UNKNOWN";
}

bool is_known_rpc_code(int code) {
  return std::string_view(to_string(static_cast<RpcCode>(code))) != "RPC_UNKNOWN";
}

const char* to_string(ChainErrorKind kind) {
  switch (kind) {
    case ChainErrorKind::Transport: return "transport";
    case ChainErrorKind::Unauthorized: return "unauthorized";
    case ChainErrorKind::Http: return "http";
    case ChainErrorKind::BadResponse: return "bad response";
    case ChainErrorKind::Rpc: return "rpc";
    case ChainErrorKind::Config: return "config";
  }
  return "unknown";
}

std::string ChainError::describe() const {
  switch (kind) {
    case ChainErrorKind::Rpc:
      return fmt::format("rpc error {} ({}): {}", code, to_string(static_cast<RpcCode>(code)),
                         message);
    case ChainErrorKind::Unauthorized:
    case ChainErrorKind::Http:
      return fmt::format("{} error (HTTP {}): {}", to_string(kind), code, message);
    case ChainErrorKind::Transport:
    case ChainErrorKind::BadResponse:
    case ChainErrorKind::Config:
      return fmt::format("{} error: {}", to_string(kind), message);
  }
  return message;
}

ChainError rpc_error(RpcCode code, std::string message) {
  return ChainError{ChainErrorKind::Rpc, static_cast<int>(code), std::move(message)};
}

}  // namespace fulgur::chain
