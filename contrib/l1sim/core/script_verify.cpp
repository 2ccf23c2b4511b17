// make_input_verifier. TODO(spec): interim until lib/bitcoin's interpreter lands on main:
// P2WPKH spends are checked here (witness shape, key hash, low-S strict DER signature
// over the BIP 143 hash with SIGHASH_ALL); every other input is refused, so l1sim never
// accepts what it has not verified.
#include "script_verify.h"

#include "crypto/hash.h"
#include "crypto/keys.h"
#include "bitcoin/sighash.h"

namespace fulgur::l1sim {

InputVerifier make_input_verifier() {
  return [](const bitcoin::Transaction& tx, size_t input, const std::vector<bitcoin::TxOut>& spent,
            bool standard) -> std::optional<std::string> {
    // A failed CHECKSIG with a non-empty signature: NULLFAIL under policy, a false stack
    // under consensus rules alone (as Bitcoin Core's interpreter reports them).
    const std::string failed_sig =
        standard ? "Signature must be zero for failed CHECK(MULTI)SIG operation"
                 : "Script evaluated without error but finished with a false/empty top stack element";
    const auto& spk = spent[input].script_pubkey;
    const auto& witness = tx.inputs[input].witness;
    if (!spk.is_p2wpkh()) return std::string("l1sim cannot verify this script type yet");
    if (!tx.inputs[input].script_sig.empty()) return std::string("Witness requires empty scriptSig");
    if (witness.size() != 2) return std::string("Witness program hash mismatch");
    auto program = spk.witness_program();
    if (crypto::hash160(witness[1]).to_hex() != to_hex(program->program)) {
      return std::string("Witness program hash mismatch");
    }
    auto pub = crypto::PublicKey::parse(witness[1]);
    if (!pub || witness[1].size() != 33) return std::string("Using non-compressed keys in segwit");
    const Bytes& sig = witness[0];
    if (sig.empty()) {
      return std::string("Script evaluated without error but finished with a false/empty top stack element");
    }
    if (sig.back() != 0x01) return failed_sig;
    auto parsed = crypto::Signature::from_der(ByteSpan(sig.data(), sig.size() - 1));
    if (!parsed) return std::string("Non-canonical DER signature");
    Hash256 digest = bitcoin::segwit_v0_sighash(
        tx, input, bitcoin::p2wpkh_script_code(crypto::hash160(witness[1])).span(),
        spent[input].amount, bitcoin::SIGHASH_ALL);
    if (!crypto::verify(*pub, digest, *parsed)) return failed_sig;
    return std::nullopt;
  };
}

}  // namespace fulgur::l1sim
