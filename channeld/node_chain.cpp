// The L1 side of channels: funding transactions from the L1 wallet (fund + sign, handed to
// the machine, broadcast only once the machine says so), following blocks and each funding
// output's depth (and its short_channel_id), and the wallet calls behind the commands.
// Every L1 call runs on the thread pool (AsyncL1); results come back on the loop.
#include <algorithm>

#include "bitcoin/block.h"
#include "bitcoin/tx.h"
#include "channel/commitment.h"
#include "channeld/node_internal.h"
#include "channeld/onchain_watch.h"

namespace fulgur::channeld {

namespace {
struct FundedTx {
  Txid txid;
  uint16_t output_index = 0;
  Bytes tx;
};

// On a worker thread: a transaction paying `amount` to the 2-of-2, funded and signed by the
// L1 wallet.
chain::ChainResult<FundedTx> make_funding_tx(chain::L1& l1, const bitcoin::TxOut& funding,
                                             uint32_t fee_rate_sat_per_vb) {
  auto wallet_error = [](std::string why) {
    return Unexpected<chain::ChainError>{{chain::ChainErrorKind::Rpc, 0, std::move(why)}};
  };
  bitcoin::Transaction tx;
  tx.version = 2;
  tx.outputs.push_back(funding);
  chain::FundOptions options;
  options.lock_unspents = true;  // another funding must not pick the same coins
  if (fee_rate_sat_per_vb > 0) options.fee_rate_sat_per_vb = fee_rate_sat_per_vb;
  FULGUR_TRY(auto funded, l1.fund_raw_transaction(tx.serialize(), options));
  FULGUR_TRY(auto signed_tx, l1.sign_raw_transaction_with_wallet(funded.tx));
  if (!signed_tx.complete) {
    return wallet_error("the wallet could not sign the funding transaction" +
                        (signed_tx.errors.empty() ? std::string() : ": " + signed_tx.errors[0]));
  }
  auto parsed = bitcoin::parse_transaction(signed_tx.tx);
  if (!parsed) return wallet_error("the wallet returned a bad transaction");
  for (size_t i = 0; i < parsed->outputs.size(); ++i) {
    if (parsed->outputs[i] == funding && i <= UINT16_MAX) {
      return FundedTx{parsed->txid(), static_cast<uint16_t>(i), std::move(signed_tx.tx)};
    }
  }
  return wallet_error("the funded transaction lost the funding output");
}

struct DepthQuery {
  uint64_t key = 0;
  Txid txid;
  uint16_t vout = 0;
  bool want_scid = false;
};
struct DepthAnswer {
  uint64_t key = 0;
  uint32_t depth = 0;
  std::optional<ShortChannelId> scid;
};

// On a worker thread: each funding output's confirmations (0 while unconfirmed, and once
// spent) and, when asked, its short_channel_id (block height, index in the block, output).
chain::ChainResult<std::vector<DepthAnswer>> query_depths(chain::L1& l1, uint32_t tip,
                                                          const std::vector<DepthQuery>& qs) {
  std::vector<DepthAnswer> out;
  for (const auto& q : qs) {
    DepthAnswer a;
    a.key = q.key;
    FULGUR_TRY(auto txout, l1.get_tx_out(q.txid, q.vout, false));
    if (txout && txout->confirmations > 0) {
      a.depth = static_cast<uint32_t>(txout->confirmations);
      uint32_t height = tip + 1 >= a.depth ? tip + 1 - a.depth : 0;
      if (q.want_scid && height > 0) {
        FULGUR_TRY(auto hash, l1.get_block_hash(height));
        FULGUR_TRY(auto raw, l1.get_block(hash));
        if (auto block = bitcoin::parse_block(raw)) {
          for (size_t i = 0; i < block->transactions.size(); ++i) {
            if (block->transactions[i].txid() == q.txid) {
              a.scid = ShortChannelId::from_parts(height, static_cast<uint32_t>(i), q.vout);
            }
          }
        }
      }
    }
    out.push_back(a);
  }
  return out;
}
}  // namespace

void Node::fund(uint64_t key, const channel::event::FundingNeeded& need) {
  auto it = m_channels.find(key);
  if (it == m_channels.end() || !m_async_l1) return;
  Channel& c = *it->second;
  auto local = crypto::PublicKey::parse(need.local_funding_pubkey);
  auto remote = crypto::PublicKey::parse(need.remote_funding_pubkey);
  if (!local || !remote) {
    apply(c, c.machine->force_close("invalid funding key"));
    return;
  }
  c.funding_in_progress = true;
  bitcoin::TxOut output = channel::funding_output(*local, *remote, need.funding_satoshis);
  m_async_l1->run(
      [output, rate = m_config.funding_feerate_sat_per_vb](chain::L1& l1) {
        return make_funding_tx(l1, output, rate);
      },
      [this, key](chain::ChainResult<FundedTx> funded) {
        auto ch = m_channels.find(key);
        if (ch == m_channels.end() || m_stopping) return;
        Channel& chan = *ch->second;
        chan.funding_in_progress = false;
        if (!funded) {
          std::string why = "funding failed: " + funded.error().describe();
          m_log.warn("channel {}: {}", key, why);
          auto waiters = std::move(chan.open_waiters);
          chan.open_waiters.clear();
          for (auto& w : waiters) w(fail(why));
          apply(chan, chan.machine->force_close(why));
          return;
        }
        m_log.info("channel {}: funding transaction {} output {}", key, funded->txid.to_hex(),
                   funded->output_index);
        auto out = chan.machine->funding_tx_ready(funded->txid, funded->output_index,
                                                  std::move(funded->tx));
        if (!out) {
          m_log.warn("channel {}: funding_tx_ready: {}", key, out.error().message);
          return;
        }
        apply(chan, std::move(*out));
      });
}

void Node::on_block_event(const chain::BlockEvent& e) {
  if (m_stopping) return;
  m_l1_status = "ok";
  switch (e.kind) {
    case chain::BlockEvent::Kind::Connected:
      m_height = BlockHeight(e.header.height);
      break;
    case chain::BlockEvent::Kind::Disconnected:
      m_height = BlockHeight(e.header.height > 0 ? e.header.height - 1 : 0);
      break;
  }
  on_height(m_height);
  refresh_depths();
  if (m_watch) m_watch->on_tip_changed();
}

void Node::refresh_depths() {
  if (!m_async_l1 || m_stopping) return;
  if (m_depth_refresh_in_flight) {
    m_depth_refresh_again = true;
    return;
  }
  std::vector<DepthQuery> queries;
  for (const auto& [key, c] : m_channels) {
    if (c->finished()) continue;
    const auto& s = c->state();
    bool funded = s.phase == channel::Phase::AwaitingLockin || s.phase == channel::Phase::Normal ||
                  s.phase == channel::Phase::Shutdown || s.phase == channel::Phase::Negotiating;
    if (!funded || (s.phase != channel::Phase::AwaitingLockin && c->scid)) continue;
    queries.push_back(DepthQuery{key, s.funding_txid, s.funding_output_index, !c->scid});
  }
  m_depth_refresh_in_flight = true;
  uint32_t tip = m_height.value();
  m_async_l1->run(
      [tip, queries](chain::L1& l1) { return query_depths(l1, tip, queries); },
      [this, tip](chain::ChainResult<std::vector<DepthAnswer>> answers) {
        m_depth_refresh_in_flight = false;
        if (m_stopping) return;
        if (!answers) {
          m_l1_status = answers.error().describe();
          m_log.warn("L1: {}", m_l1_status);
        } else {
          for (const auto& a : *answers) {
            auto it = m_channels.find(a.key);
            if (it == m_channels.end()) continue;
            it->second->funding_depth = std::max(it->second->funding_depth, a.depth);
            if (a.scid) set_short_channel_id(*it->second, *a.scid);
          }
        }
        // Every live channel hears of the block (HTLC deadlines, channel_ready at depth).
        std::vector<uint64_t> keys;
        for (const auto& [key, c] : m_channels) {
          if (!c->finished()) keys.push_back(key);
        }
        for (uint64_t key : keys) {
          auto it = m_channels.find(key);
          if (it == m_channels.end()) continue;
          Channel& c = *it->second;
          apply(c, c.machine->on_block(BlockHeight(tip), c.funding_depth));
        }
        if (m_depth_refresh_again) {
          m_depth_refresh_again = false;
          refresh_depths();
        }
      });
}

void Node::refresh_shutdown_script() {
  if (!m_shutdown_script.empty()) return;
  new_address([this](Result<std::string> address) {
    if (!address) return m_log.warn("no wallet address for mutual closes: {}", address.error().message);
    auto script = bitcoin::segwit_address_to_script(m_config.network, *address);
    if (!script) return m_log.warn("wallet address {} not usable", *address);
    m_shutdown_script = script->bytes();
    ChannelStore::put_shutdown_script(m_batch, m_shutdown_script);
    request_turn_end();
  });
}

void Node::new_address(std::function<void(Result<std::string>)> done) {
  if (!m_async_l1) return done(fail("no L1 configured"));
  m_async_l1->run([](chain::L1& l1) { return l1.get_new_address(); },
                  [done = std::move(done)](chain::ChainResult<std::string> r) {
                    if (!r) return done(fail(r.error().describe()));
                    done(std::move(*r));
                  });
}

void Node::list_unspent(std::function<void(Result<std::vector<chain::Utxo>>)> done) {
  if (!m_async_l1) return done(fail("no L1 configured"));
  m_async_l1->run([](chain::L1& l1) { return l1.list_unspent(0); },
                  [done = std::move(done)](chain::ChainResult<std::vector<chain::Utxo>> r) {
                    if (!r) return done(fail(r.error().describe()));
                    done(std::move(*r));
                  });
}

}  // namespace fulgur::channeld
