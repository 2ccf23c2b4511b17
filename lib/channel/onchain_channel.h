// The channel resolver's view of a channel, taken from the state machine's persisted state:
// what channeld hands the resolver when a channel is funded and after each state it persists.
#pragma once

#include "channel/channel_state.h"
#include "channel/onchain.h"

namespace fulgur::channel::onchain {

// The fixed facts of a funded channel; claims pay `sweep_script`. Errors before funding.
Result<ChannelInfo> channel_info(const ChannelState& state, bitcoin::Script sweep_script);
// The latest commitments, the peer's HTLC signatures and its revealed secrets.
Snapshot snapshot(const ChannelState& state);

}  // namespace fulgur::channel::onchain
