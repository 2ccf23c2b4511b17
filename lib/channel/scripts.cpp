// BOLT 3 scripts; see scripts.h. Each builder follows the spec's listing op for op.
#include "channel/scripts.h"

#include "crypto/hash.h"

namespace fulgur::channel {

using namespace bitcoin;

namespace {
Script& push_key(Script& s, const PublicKey& key) { return s.push_data(key.serialize()); }

// OP_DUP OP_HASH160 <RIPEMD160(SHA256(revocationpubkey))> OP_EQUAL OP_IF OP_CHECKSIG OP_ELSE
// <remote_htlcpubkey> OP_SWAP OP_SIZE 32 OP_EQUAL: the head both HTLC scripts share.
Script htlc_script_head(const HtlcKeys& keys) {
  Script s;
  s.push_opcode(OP_DUP).push_opcode(OP_HASH160);
  s.push_data(crypto::hash160(keys.revocation_pubkey.serialize()).span());
  s.push_opcode(OP_EQUAL).push_opcode(OP_IF).push_opcode(OP_CHECKSIG).push_opcode(OP_ELSE);
  push_key(s, keys.remote_htlcpubkey);
  s.push_opcode(OP_SWAP).push_opcode(OP_SIZE).push_int(32).push_opcode(OP_EQUAL);
  return s;
}

// The tail: under option_anchors `1 OP_CHECKSEQUENCEVERIFY OP_DROP`, then OP_ENDIF.
void htlc_script_tail(Script& s, ChannelType type) {
  switch (type) {
    case ChannelType::StaticRemoteKey:
      break;
    case ChannelType::Anchors:
      s.push_opcode(OP_1).push_opcode(OP_CHECKSEQUENCEVERIFY).push_opcode(OP_DROP);
      break;
  }
  s.push_opcode(OP_ENDIF);
}

void push_payment_hash160(Script& s, const PaymentHash& payment_hash) {
  s.push_opcode(OP_HASH160).push_data(crypto::ripemd160(payment_hash.span()).span());
  s.push_opcode(OP_EQUALVERIFY);
}
}  // namespace

Script funding_script(const PublicKey& a, const PublicKey& b) {
  const PublicKey& first = a < b ? a : b;
  const PublicKey& second = a < b ? b : a;
  Script s;
  s.push_opcode(OP_2);
  push_key(s, first);
  push_key(s, second);
  s.push_opcode(OP_2).push_opcode(OP_CHECKMULTISIG);
  return s;
}

Script to_local_script(const PublicKey& revocation_pubkey, CltvDelta to_self_delay,
                       const PublicKey& local_delayed_pubkey) {
  Script s;
  s.push_opcode(OP_IF);
  push_key(s, revocation_pubkey);
  s.push_opcode(OP_ELSE).push_int(to_self_delay.value());
  s.push_opcode(OP_CHECKSEQUENCEVERIFY).push_opcode(OP_DROP);
  push_key(s, local_delayed_pubkey);
  s.push_opcode(OP_ENDIF).push_opcode(OP_CHECKSIG);
  return s;
}

Script to_remote_anchors_script(const PublicKey& remote_pubkey) {
  Script s;
  push_key(s, remote_pubkey);
  s.push_opcode(OP_CHECKSIGVERIFY).push_opcode(OP_1).push_opcode(OP_CHECKSEQUENCEVERIFY);
  return s;
}

Script to_remote_output_script(ChannelType type, const PublicKey& remote_pubkey) {
  switch (type) {
    case ChannelType::StaticRemoteKey:
      return p2wpkh_for_key(remote_pubkey.serialize());
    case ChannelType::Anchors:
      return p2wsh_for_script(to_remote_anchors_script(remote_pubkey));
  }
  FULGUR_ASSERT(false);
  return {};
}

Script anchor_script(const PublicKey& funding_pubkey) {
  Script s;
  push_key(s, funding_pubkey);
  s.push_opcode(OP_CHECKSIG).push_opcode(OP_IFDUP).push_opcode(OP_NOTIF);
  s.push_opcode(OP_16).push_opcode(OP_CHECKSEQUENCEVERIFY).push_opcode(OP_ENDIF);
  return s;
}

Script offered_htlc_script(ChannelType type, const HtlcKeys& keys, const PaymentHash& payment_hash) {
  Script s = htlc_script_head(keys);
  // To local node via HTLC-timeout transaction (timelocked).
  s.push_opcode(OP_NOTIF).push_opcode(OP_DROP).push_opcode(OP_2).push_opcode(OP_SWAP);
  push_key(s, keys.local_htlcpubkey);
  s.push_opcode(OP_2).push_opcode(OP_CHECKMULTISIG);
  // To remote node with preimage.
  s.push_opcode(OP_ELSE);
  push_payment_hash160(s, payment_hash);
  s.push_opcode(OP_CHECKSIG).push_opcode(OP_ENDIF);
  htlc_script_tail(s, type);
  return s;
}

Script received_htlc_script(ChannelType type, const HtlcKeys& keys, const PaymentHash& payment_hash,
                            uint32_t cltv_expiry) {
  Script s = htlc_script_head(keys);
  // To local node via HTLC-success transaction.
  s.push_opcode(OP_IF);
  push_payment_hash160(s, payment_hash);
  s.push_opcode(OP_2).push_opcode(OP_SWAP);
  push_key(s, keys.local_htlcpubkey);
  s.push_opcode(OP_2).push_opcode(OP_CHECKMULTISIG);
  // To remote node after timeout.
  s.push_opcode(OP_ELSE).push_opcode(OP_DROP).push_int(cltv_expiry);
  s.push_opcode(OP_CHECKLOCKTIMEVERIFY).push_opcode(OP_DROP).push_opcode(OP_CHECKSIG);
  s.push_opcode(OP_ENDIF);
  htlc_script_tail(s, type);
  return s;
}

}  // namespace fulgur::channel
