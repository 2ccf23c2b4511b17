// Signatures on the transactions of this library: BIP 143 digests through lib/bitcoin,
// ECDSA through lib/crypto, DER with the sighash byte appended as witnesses carry them.
#pragma once

#include <cstdint>

#include "bitcoin/tx.h"
#include "channel/commitment.h"
#include "channel/htlc_tx.h"
#include "common/bytes.h"
#include "crypto/keys.h"

namespace fulgur::channel {

// BIP 143 digest of input `index` spending `amount` under `script_code`.
Hash256 input_sighash(const bitcoin::Transaction& tx, size_t index, const Script& script_code,
                      Sat amount, uint8_t sighash_type);
// DER signature with the sighash byte appended.
Bytes sign_input(const bitcoin::Transaction& tx, size_t index, const Script& script_code,
                 Sat amount, const SecretKey& key, uint8_t sighash_type);

// The funding input of a commitment (or closing) transaction, SIGHASH_ALL.
crypto::Signature sign_funding_input(const bitcoin::Transaction& tx,
                                     const Script& funding_witness_script, Sat funding_amount,
                                     const SecretKey& funding_key);
bool verify_funding_input(const bitcoin::Transaction& tx, const Script& funding_witness_script,
                          Sat funding_amount, const PublicKey& funding_pubkey,
                          const crypto::Signature& sig);

// An HTLC transaction's signature: the countersignatory signs with
// remote_htlc_sighash_type(type), the broadcaster with SIGHASH_ALL.
crypto::Signature sign_htlc_tx(const HtlcTx& htlc_tx, const SecretKey& htlc_key,
                               uint8_t sighash_type);
bool verify_htlc_tx(const HtlcTx& htlc_tx, const PublicKey& htlc_pubkey, uint8_t sighash_type,
                    const crypto::Signature& sig);

// DER || sighash byte, as it sits in a witness.
Bytes with_sighash(const crypto::Signature& sig, uint8_t sighash_type);

}  // namespace fulgur::channel
