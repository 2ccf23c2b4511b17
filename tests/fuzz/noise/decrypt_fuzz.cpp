// Fuzz target: message decryption (length prefix, then body). The first byte picks a mode:
// even: the rest is read as a raw encrypted stream (hostile bytes after a handshake);
// odd: the rest is split into messages that a real sender encrypts, one byte is optionally
// flipped, and the receiver must open exactly the untouched frames.
#include <vector>

#include "crypto/secret.h"
#include "noise/cipher.h"

using namespace fulgur;
using namespace fulgur::noise;

namespace {
crypto::Secret32 secret_of(uint8_t byte) {
  std::array<uint8_t, 32> raw{};
  raw.fill(byte);
  return crypto::Secret32(raw);
}

Transport make(uint8_t send, uint8_t receive) {
  return Transport(CipherState(secret_of(send), secret_of(0xc0)),
                   CipherState(secret_of(receive), secret_of(0xc0)));
}

// Reads frames until the input ends or a frame fails; returns the frames opened.
size_t read_stream(Transport& receiver, ByteSpan stream) {
  size_t opened = 0;
  while (stream.size() >= LENGTH_HEADER_SIZE) {
    auto len = receiver.decrypt_length(stream.first(LENGTH_HEADER_SIZE));
    if (!len) break;
    stream = stream.subspan(LENGTH_HEADER_SIZE);
    if (stream.size() < size_t{*len} + TAG_SIZE) break;
    auto body = receiver.decrypt_body(stream.first(size_t{*len} + TAG_SIZE));
    if (!body) break;
    stream = stream.subspan(size_t{*len} + TAG_SIZE);
    ++opened;
  }
  return opened;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  ByteSpan input(data + 1, size - 1);
  Transport receiver = make(0xbb, 0xaa);
  if ((data[0] & 1) == 0) {
    (void)read_stream(receiver, input);
    return 0;
  }
  // Messages: each input byte b starts a message of (b % 64) following bytes.
  Transport sender = make(0xaa, 0xbb);
  Bytes stream;
  size_t messages = 0;
  while (!input.empty()) {
    size_t len = std::min<size_t>(input[0] % 64, input.size() - 1);
    auto frame = sender.encrypt_message(input.subspan(1, len));
    FULGUR_ASSERT(frame.ok());
    append(stream, *frame);
    input = input.subspan(1 + len);
    ++messages;
  }
  bool flip = (data[0] & 2) != 0 && !stream.empty();
  size_t at = flip ? (size_t{data[0]} * 7919) % stream.size() : 0;
  if (flip) stream[at] ^= 0x01;
  size_t opened = read_stream(receiver, stream);
  FULGUR_ASSERT(flip ? opened < messages : opened == messages);
  return 0;
}
