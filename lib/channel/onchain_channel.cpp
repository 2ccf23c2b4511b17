// ChannelState -> the resolver's ChannelInfo and Snapshot; see onchain_channel.h.
#include "channel/onchain_channel.h"

namespace fulgur::channel::onchain {

namespace {
Commitment commitment_of(uint64_t number, const CommitSpec& spec) {
  Commitment c;
  c.number = number;
  c.feerate = spec.feerate;
  c.to_us = spec.to_us;
  c.to_them = spec.to_them;
  for (const SpecHtlc& h : spec.htlcs) {
    c.htlcs.push_back(Htlc{h.offered_by_us, h.id, h.amount, h.payment_hash, h.cltv_expiry});
  }
  return c;
}
}  // namespace

Result<ChannelInfo> channel_info(const ChannelState& s, bitcoin::Script sweep_script) {
  if (s.funding_txid.is_zero()) return fail("resolver: the channel is not funded");
  ChannelInfo i;
  i.key_index = s.key_index;
  i.type = s.type;
  i.funding_outpoint = bitcoin::OutPoint{s.funding_txid, s.funding_output_index};
  i.funding_amount = s.funding_amount;
  i.we_are_opener = s.is_opener;
  i.remote_funding_pubkey = s.remote_keys.funding_pubkey.array();
  i.remote_revocation_basepoint = s.remote_keys.revocation_basepoint.array();
  i.remote_payment_basepoint = s.remote_keys.payment_basepoint.array();
  i.remote_delayed_payment_basepoint = s.remote_keys.delayed_payment_basepoint.array();
  i.remote_htlc_basepoint = s.remote_keys.htlc_basepoint.array();
  // local_params is what we require of the peer (its outputs' delay, our dust limit);
  // remote_params what it requires of us.
  i.our_to_self_delay = s.remote_params.to_self_delay;
  i.their_to_self_delay = s.local_params.to_self_delay;
  i.our_dust_limit = s.local_params.dust_limit;
  i.their_dust_limit = s.remote_params.dust_limit;
  i.sweep_script = std::move(sweep_script);
  return i;
}

Snapshot snapshot(const ChannelState& s) {
  Snapshot snap;
  snap.local = commitment_of(s.local_commit.number, s.local_commit.spec);
  for (const wire::Signature& sig : s.local_commit.remote_htlc_signatures) {
    snap.local_htlc_signatures.push_back(sig.array());
  }
  snap.remote = commitment_of(s.remote_commit.number, s.remote_commit.spec);
  snap.remote_point = s.remote_commit.per_commitment_point.array();
  if (s.waiting) {
    snap.remote_next = commitment_of(s.waiting->next.number, s.waiting->next.spec);
    snap.remote_next_point = s.waiting->next.per_commitment_point.array();
  }
  snap.remote_secrets = s.remote_secrets;
  snap.local_shutdown_script = s.local_shutdown_script;
  snap.remote_shutdown_script = s.remote_shutdown_script;
  return snap;
}

}  // namespace fulgur::channel::onchain
