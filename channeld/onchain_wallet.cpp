// The L1 wallet's part in option_anchors (see onchain_watch.h): HTLC-timeout/success
// transactions carry no fee, so the wallet adds inputs and change after input 0 and output 0
// (the peer's SIGHASH_SINGLE|ANYONECANPAY signature allows exactly that) and the resolver
// signs input 0; a commitment of ours that pays too little gets a child spending our anchor
// and wallet coins (CPFP). One wallet job at a time, each broadcast before the next starts,
// so that two never pick the same coins.
#include <algorithm>

#include "bitcoin/bech32.h"
#include "channeld/node_internal.h"
#include "channeld/onchain_watch.h"

namespace fulgur::channeld {

namespace onchain = channel::onchain;

namespace {
// An input's weight outside its witness: outpoint, empty scriptSig, sequence.
constexpr uint64_t INPUT_BASE_WEIGHT = (32 + 4 + 1 + 4) * 4;
// A CPFP child with one wallet input and two outputs, besides the anchor input: version,
// locktime, counts, segwit marker; a P2WPKH input with its witness; two P2WPKH outputs.
constexpr uint64_t CPFP_CHILD_BASE_WEIGHT = 42 + (INPUT_BASE_WEIGHT + 108) + 2 * 31 * 4;

uint64_t sat_per_vb(uint64_t fee, uint64_t weight) {
  uint64_t vsize = (weight + 3) / 4;
  return std::max<uint64_t>(1, (fee + vsize - 1) / vsize);
}

chain::ChainError wallet_error(std::string why) {
  return {chain::ChainErrorKind::Rpc, 0, std::move(why)};
}

// On a worker thread: funds and signs `tx` with the wallet; every input but the first must
// be signed by it.
chain::ChainResult<bitcoin::Transaction> fund_and_sign(chain::L1& l1, const bitcoin::Transaction& tx,
                                                       const chain::FundOptions& options) {
  FULGUR_TRY(auto funded, l1.fund_raw_transaction(tx.serialize(), options));
  FULGUR_TRY(auto signed_tx, l1.sign_raw_transaction_with_wallet(funded.tx));
  auto parsed = bitcoin::parse_transaction(signed_tx.tx);
  if (!parsed) return Unexpected{wallet_error("the wallet returned a bad transaction")};
  for (size_t i = 1; i < parsed->inputs.size(); ++i) {
    if (parsed->inputs[i].witness.empty()) {
      return Unexpected{wallet_error("the wallet did not sign its input " + std::to_string(i))};
    }
  }
  return *parsed;
}
}  // namespace

void ChainWatch::fund_htlc_tx(uint64_t key, const onchain::FundHtlcTx& request) {
  if (!m_wallet_pending.insert({key, request.htlc_outpoint}).second) return;  // under way
  auto job = std::make_unique<WalletJob>();
  job->key = key;
  job->outpoint = request.htlc_outpoint;
  job->htlc = request;
  m_wallet_jobs.push_back(std::move(job));
  run_wallet_jobs();
}

void ChainWatch::cpfp(uint64_t key, const onchain::CpfpNeeded& request) {
  // Only when the commitment pays less than the feerate we want now.
  if (request.parent_weight == 0 ||
      request.parent_fee.value() * 1000 / request.parent_weight >= request.feerate.value()) {
    return;
  }
  auto done = m_cpfp_sent.find(request.anchor);
  if (done != m_cpfp_sent.end() && done->second >= request.feerate) return;  // already bumped
  if (!m_wallet_pending.insert({key, request.anchor}).second) return;
  auto job = std::make_unique<WalletJob>();
  job->key = key;
  job->outpoint = request.anchor;
  job->cpfp = request;
  m_wallet_jobs.push_back(std::move(job));
  run_wallet_jobs();
}

void ChainWatch::run_wallet_jobs() {
  if (m_wallet_busy || m_wallet_jobs.empty() || !m_node.m_async_l1 || m_node.m_stopping) return;
  m_wallet_busy = true;
  std::shared_ptr<WalletJob> job(std::move(m_wallet_jobs.front()));
  m_wallet_jobs.pop_front();
  auto finish = [this, job] {
    m_wallet_pending.erase({job->key, job->outpoint});
    m_wallet_busy = false;
    run_wallet_jobs();
  };
  bitcoin::Transaction tx;
  chain::FundOptions options;
  options.lock_unspents = true;
  options.change_position = 1;  // after output 0: the peer's signature covers output 0 only
  if (job->htlc) {
    const auto& f = *job->htlc;
    tx = f.tx;
    uint64_t input_weight = INPUT_BASE_WEIGHT + (f.weight - f.tx.weight() - 2);
    options.input_weights.push_back({f.htlc_outpoint.txid, f.htlc_outpoint.vout, input_weight});
    options.fee_rate_sat_per_vb = sat_per_vb(fee_for_weight(f.feerate, 1000).value(), 1000);
  } else {
    const auto& c = *job->cpfp;
    // The child pays for both: (parent + child) at the feerate, less what the parent pays.
    uint64_t anchor_weight = INPUT_BASE_WEIGHT + 1 + 1 + 73 + 1 + c.anchor_witness_script.size();
    uint64_t child_weight = CPFP_CHILD_BASE_WEIGHT + anchor_weight;
    uint64_t package = fee_for_weight(c.feerate, c.parent_weight + child_weight).value();
    uint64_t child_fee = package > c.parent_fee.value() ? package - c.parent_fee.value() : 0;
    tx.version = 2;
    bitcoin::TxIn anchor;
    anchor.prevout = c.anchor;
    anchor.sequence = 0xfffffffd;
    tx.inputs.push_back(anchor);
    options.input_weights.push_back({c.anchor.txid, c.anchor.vout, anchor_weight});
    options.fee_rate_sat_per_vb = sat_per_vb(child_fee, child_weight);
  }
  bool cpfp = job->cpfp.has_value();
  Sat anchor_amount = cpfp ? job->cpfp->anchor_amount : Sat(0);
  m_node.m_async_l1->run(
      [tx, options, cpfp, anchor_amount, network = m_node.m_config.network](chain::L1& l1) mutable
          -> chain::ChainResult<bitcoin::Transaction> {
        if (cpfp) {
          // bitcoind funds no transaction without outputs: the anchor's value comes back to
          // a wallet address, the wallet adds what pays the fee.
          FULGUR_TRY(auto address, l1.get_new_address());
          auto script = bitcoin::segwit_address_to_script(network, address);
          if (!script) return Unexpected{wallet_error("unusable wallet address " + address)};
          tx.outputs.push_back({anchor_amount, *script});
          options.change_position.reset();
        }
        return fund_and_sign(l1, tx, options);
      },
      [this, job, finish](chain::ChainResult<bitcoin::Transaction> funded) {
        if (m_node.m_stopping) return finish();
        onchain::Resolver* r = resolver(job->key);
        if (!funded || r == nullptr) {
          if (!funded) {
            m_node.m_log.warn("channel {}: the wallet could not fund the {}: {}", job->key,
                              job->htlc ? "HTLC transaction" : "CPFP of our commitment",
                              funded.error().describe());
          }
          return finish();
        }
        bitcoin::Transaction done = std::move(*funded);
        if (job->htlc) {
          auto completed = r->complete_htlc_tx(job->htlc->htlc_outpoint, done);
          if (!completed) {
            m_node.m_log.warn("channel {}: funded HTLC transaction refused: {}", job->key,
                              completed.error().message);
            return finish();
          }
          execute(job->key, std::move(*completed));
          // complete_htlc_tx signed input 0: the claim is the resolver's newest for it.
          for (const auto& claim : r->claims()) {
            if (claim.kind == onchain::ClaimKind::HtlcTx && !claim.tx.inputs.empty() &&
                claim.tx.inputs[0].prevout == job->htlc->htlc_outpoint) {
              done = claim.tx;
            }
          }
        } else {
          auto witness = r->sign_anchor_input(done, 0);
          if (!witness) {
            m_node.m_log.warn("channel {}: anchor not signed: {}", job->key,
                              witness.error().message);
            return finish();
          }
          done.inputs[0].witness = std::move(*witness);
          m_cpfp_sent[job->cpfp->anchor] = job->cpfp->feerate;
          m_node.m_log.info("channel {}: CPFP {} for our commitment {} at {}", job->key,
                            done.txid().to_hex(), job->cpfp->parent.to_hex(),
                            to_string(job->cpfp->feerate));
        }
        // Sent before the next wallet job picks coins.
        m_node.m_async_l1->run(
            [raw = done.serialize()](chain::L1& l1) { return l1.send_raw_transaction(raw); },
            [this, job, finish](chain::ChainResult<Txid> sent) {
              if (!sent && sent.error().message.find("already") == std::string::npos) {
                m_node.m_log.warn("channel {}: wallet-funded transaction refused: {}", job->key,
                                  sent.error().describe());
              }
              finish();
            });
      });
}

}  // namespace fulgur::channeld
