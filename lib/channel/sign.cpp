// Signing and checking this library's transactions; see sign.h.
#include "channel/sign.h"

#include "bitcoin/sighash.h"

namespace fulgur::channel {

Hash256 input_sighash(const bitcoin::Transaction& tx, size_t index, const Script& script_code,
                      Sat amount, uint8_t sighash_type) {
  return bitcoin::segwit_v0_sighash(tx, index, script_code.span(), amount, sighash_type);
}

Bytes with_sighash(const crypto::Signature& sig, uint8_t sighash_type) {
  Bytes out = sig.to_der();
  out.push_back(sighash_type);
  return out;
}

Bytes sign_input(const bitcoin::Transaction& tx, size_t index, const Script& script_code,
                 Sat amount, const SecretKey& key, uint8_t sighash_type) {
  Hash256 digest = input_sighash(tx, index, script_code, amount, sighash_type);
  return with_sighash(crypto::sign(key, digest), sighash_type);
}

crypto::Signature sign_funding_input(const bitcoin::Transaction& tx,
                                     const Script& funding_witness_script, Sat funding_amount,
                                     const SecretKey& funding_key) {
  return crypto::sign(funding_key,
                      input_sighash(tx, 0, funding_witness_script, funding_amount, SIGHASH_ALL));
}

bool verify_funding_input(const bitcoin::Transaction& tx, const Script& funding_witness_script,
                          Sat funding_amount, const PublicKey& funding_pubkey,
                          const crypto::Signature& sig) {
  return crypto::verify(funding_pubkey,
                        input_sighash(tx, 0, funding_witness_script, funding_amount, SIGHASH_ALL),
                        sig);
}

crypto::Signature sign_htlc_tx(const HtlcTx& htlc_tx, const SecretKey& htlc_key,
                               uint8_t sighash_type) {
  return crypto::sign(htlc_key, input_sighash(htlc_tx.tx, 0, htlc_tx.htlc_witness_script,
                                              htlc_tx.input_amount, sighash_type));
}

bool verify_htlc_tx(const HtlcTx& htlc_tx, const PublicKey& htlc_pubkey, uint8_t sighash_type,
                    const crypto::Signature& sig) {
  return crypto::verify(htlc_pubkey,
                        input_sighash(htlc_tx.tx, 0, htlc_tx.htlc_witness_script,
                                      htlc_tx.input_amount, sighash_type),
                        sig);
}

}  // namespace fulgur::channel
