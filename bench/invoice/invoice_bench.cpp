// BOLT 11 decode rate: a typical invoice (signature recovery) and one with an `n` field
// (signature verification), plus encoding (signing).
#include <benchmark/benchmark.h>

#include "invoice/invoice.h"

using namespace fulgur;
using namespace fulgur::invoice;

namespace {

// A BOLT 11 example: 2500u, description, expiry, payment secret, features.
constexpr const char* EXAMPLE =
    "lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsyqcyq5rqwzq"
    "fqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpu9qrsgquk0rl77nj30yxdy8j9v"
    "dx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0ymjpf39tuven09sam30g4vgpfna3rh";

Invoice with_n_field(const crypto::SecretKey& key) {
  Invoice inv;
  inv.amount = Msat(250'000'000);
  inv.timestamp = 1496314658;
  inv.payment_hash = PaymentHash(std::array<uint8_t, 32>{1});
  inv.payment_secret = PaymentSecret(std::array<uint8_t, 32>{2});
  inv.description = "1 cup coffee";
  inv.expiry = 60;
  inv.payee_node_id = key.public_key().node_id();
  inv.features = Features::from_bits({8, 14});  // var_onion_optin, payment_secret
  return inv;
}

}  // namespace

static void BM_InvoiceDecodeRecover(benchmark::State& state) {
  if (!decode_invoice(EXAMPLE).ok()) {
    state.SkipWithError("example invoice does not decode");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(decode_invoice(EXAMPLE));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_InvoiceDecodeRecover);

static void BM_InvoiceDecodeWithN(benchmark::State& state) {
  auto key = crypto::SecretKey::random();
  std::string text = *encode_invoice(with_n_field(key), key);
  for (auto _ : state) benchmark::DoNotOptimize(decode_invoice(text));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_InvoiceDecodeWithN);

static void BM_InvoiceEncode(benchmark::State& state) {
  auto key = crypto::SecretKey::random();
  Invoice inv = with_n_field(key);
  for (auto _ : state) benchmark::DoNotOptimize(encode_invoice(inv, key));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_InvoiceEncode);
