#pragma once
// Signatures in minisign's format (Ed25519 over the BLAKE2b-512 prehash, with a
// trusted comment), through libsodium: what `minisign -Vm FILE -p KEY` accepts, and
// keys that `minisign -G -W` makes. Pure functions of their inputs.
#include "Result.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace milepost {

struct MinisignPublicKey {
    std::array<unsigned char, 8> key_id{};
    std::array<unsigned char, 32> key{};
};

struct MinisignSecretKey {
    std::array<unsigned char, 8> key_id{};
    std::array<unsigned char, 64> key{}; // libsodium's Ed25519 secret key (it holds the public key)
};

// A new key pair, its id random.
std::pair<MinisignPublicKey, MinisignSecretKey> minisign_generate();

// The text of a .pub file: "untrusted comment: ..." then the base64 line. A bare
// base64 line ("RWQ...", as device.toml's public_key) is accepted too.
Result<MinisignPublicKey> minisign_parse_public_key(std::string_view text);
std::string minisign_format_public_key(const MinisignPublicKey& key);
// Only keys without a password (minisign -G -W, or milepost-pack keygen).
Result<MinisignSecretKey> minisign_parse_secret_key(std::string_view text);
std::string minisign_format_secret_key(const MinisignSecretKey& key);
// The public key's base64 line alone, for device.toml.
std::string minisign_public_key_line(const MinisignPublicKey& key);
// "8A1B2C3D4E5F6071", as minisign prints it.
std::string minisign_key_id(const std::array<unsigned char, 8>& id);

// The id of the key a .minisig text says it was made with (read, not verified):
// what a stored version's rollback floor is kept per.
Result<std::array<unsigned char, 8>> minisign_signature_key_id(std::string_view signature);

// The .minisig text for `message`, with `trusted_comment` signed too.
std::string minisign_sign(const MinisignSecretKey& key, std::string_view message,
                          std::string_view trusted_comment);
// Checks `signature` (a .minisig text) of `message`; returns the trusted comment.
// The error says which check failed: format, another key, the file, the comment.
Result<std::string> minisign_verify(const MinisignPublicKey& key, std::string_view message,
                                    std::string_view signature);

} // namespace milepost
