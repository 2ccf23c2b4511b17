// BOLT 3 witness scripts and output scripts: funding 2-of-2, to_local, to_remote (P2WPKH for
// option_static_remotekey, 1-block-CSV P2WSH for option_anchors), the anchors, offered and
// received HTLCs for both channel types, and the HTLC transactions' output. Pure builders.
#pragma once

#include <cstdint>

#include "bitcoin/script.h"
#include "common/ids.h"
#include "common/units.h"
#include "crypto/keys.h"

namespace fulgur::channel {

using bitcoin::Script;
using crypto::PublicKey;

// The commitment format the channel negotiated. Legacy channels (without
// option_static_remotekey) are not supported.
enum class ChannelType {
  StaticRemoteKey,  // option_static_remotekey
  Anchors,          // option_anchors (zero-fee HTLC transactions)
};

// BOLT 3: anchor outputs are fixed at 330 sats, the default dust limit for P2WSH.
inline constexpr Sat ANCHOR_OUTPUT_VALUE{330};

// BOLT 3: 2 <pubkey1> <pubkey2> 2 OP_CHECKMULTISIG, where pubkey1 is the numerically lesser
// of the two funding_pubkey.
Script funding_script(const PublicKey& a, const PublicKey& b);

// BOLT 3 to_local (and HTLC-timeout/HTLC-success output): OP_IF <revocationpubkey> OP_ELSE
// `to_self_delay` OP_CHECKSEQUENCEVERIFY OP_DROP <local_delayedpubkey> OP_ENDIF OP_CHECKSIG
Script to_local_script(const PublicKey& revocation_pubkey, CltvDelta to_self_delay,
                       const PublicKey& local_delayed_pubkey);

// BOLT 3 option_anchors to_remote: <remotepubkey> OP_CHECKSIGVERIFY 1 OP_CHECKSEQUENCEVERIFY
Script to_remote_anchors_script(const PublicKey& remote_pubkey);
// The to_remote scriptPubKey: P2WPKH (static_remotekey) or P2WSH of the script above.
Script to_remote_output_script(ChannelType type, const PublicKey& remote_pubkey);

// BOLT 3 anchor: <funding_pubkey> OP_CHECKSIG OP_IFDUP OP_NOTIF OP_16
// OP_CHECKSEQUENCEVERIFY OP_ENDIF
Script anchor_script(const PublicKey& funding_pubkey);

// The keys an HTLC script on one commitment transaction commits to.
struct HtlcKeys {
  PublicKey revocation_pubkey;
  PublicKey local_htlcpubkey;
  PublicKey remote_htlcpubkey;
};

// BOLT 3 offered HTLC output (with `1 OP_CHECKSEQUENCEVERIFY OP_DROP` under option_anchors).
Script offered_htlc_script(ChannelType type, const HtlcKeys& keys, const PaymentHash& payment_hash);
// BOLT 3 received HTLC output (with `1 OP_CHECKSEQUENCEVERIFY OP_DROP` under option_anchors).
Script received_htlc_script(ChannelType type, const HtlcKeys& keys, const PaymentHash& payment_hash,
                            uint32_t cltv_expiry);

}  // namespace fulgur::channel
