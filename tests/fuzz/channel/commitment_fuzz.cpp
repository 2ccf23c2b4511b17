// Fuzz target: commitment and HTLC transactions built from peer-chosen values (balances,
// feerate, dust limit, HTLC amounts and expiries, as open_channel, update_fee and
// update_add_htlc deliver them). Nothing may crash; built transactions conserve money and
// carry one HTLC transaction per untrimmed HTLC output.
#include <cstring>

#include "channel/commitment.h"
#include "channel/htlc_tx.h"
#include "common/assert.h"

using namespace fulgur;
using namespace fulgur::channel;

namespace {
struct Input {
  const uint8_t* p;
  size_t n;
  uint64_t take(size_t bytes) {
    uint64_t v = 0;
    for (size_t i = 0; i < bytes; ++i) {
      v = (v << 8) | (n > 0 ? *p : 0);
      if (n > 0) ++p, --n;
    }
    return v;
  }
};

PublicKey key(uint8_t b) {
  std::array<uint8_t, 32> raw{};
  raw[31] = b;
  return SecretKey::from_bytes(raw)->public_key();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const CommitmentKeys keys{key(1), key(2), key(3), key(4), key(5), key(6)};
  static const PublicKey local_funding = key(7), remote_funding = key(8);
  Input in{data, size};
  ChannelType type = in.take(1) & 1 ? ChannelType::Anchors : ChannelType::StaticRemoteKey;
  Sat funding(in.take(5));
  size_t htlc_count = std::min<size_t>(in.take(2), 483);
  std::vector<Htlc> htlcs;
  uint64_t htlc_total = 0;
  for (size_t i = 0; i < htlc_count && in.n > 0; ++i) {
    Htlc h;
    h.direction = in.take(1) & 1 ? HtlcDirection::Offered : HtlcDirection::Received;
    h.amount = Msat(in.take(5));
    h.payment_hash.data()[0] = static_cast<uint8_t>(in.take(1));
    h.cltv_expiry = static_cast<uint32_t>(in.take(4));
    htlc_total += h.amount.value();
    htlcs.push_back(h);
  }
  uint64_t funding_msat = funding.value() * 1000;
  uint64_t rest = funding_msat > htlc_total ? funding_msat - htlc_total : 0;
  uint64_t to_local = rest == 0 ? 0 : in.take(6) % (rest + 1);
  CommitmentSpec spec{.type = type,
                      .funding_outpoint = {},
                      .funding_amount = funding,
                      .local_funding_pubkey = local_funding,
                      .remote_funding_pubkey = remote_funding,
                      .local_is_opener = (in.take(1) & 1) != 0,
                      .commitment_number = in.take(6),
                      .obscuring_factor = in.take(6),
                      .to_self_delay = CltvDelta(static_cast<uint32_t>(in.take(2))),
                      .dust_limit = Sat(in.take(3)),
                      .feerate = FeeratePerKw(static_cast<uint32_t>(in.take(4))),
                      .to_local = Msat(to_local),
                      .to_remote = Msat(rest - to_local),
                      .htlcs = htlcs};
  auto c = build_commitment_tx(spec, keys);
  if (!c.ok()) return 0;
  uint64_t out_total = 0;
  for (const auto& o : c->tx.outputs) out_total += o.amount.value();
  FULGUR_ASSERT(out_total + c->actual_fee.value() == funding.value());
  FULGUR_ASSERT(c->outputs.size() == c->tx.outputs.size());
  auto htlc_txs = build_htlc_txs(spec, *c, keys);
  FULGUR_ASSERT(htlc_txs.ok() && htlc_txs->size() == htlc_output_indexes(*c).size());
  return 0;
}
