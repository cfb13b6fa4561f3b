#include "Minisign.hpp"

#include <sodium.h>

#include <cstring>
#include <optional>
#include <stdexcept>
#include <vector>

namespace milepost {

namespace {

constexpr unsigned char kEd[2] = {'E', 'd'};        // Ed25519 over the message itself (legacy)
constexpr unsigned char kPrehashed[2] = {'E', 'D'}; // Ed25519 over BLAKE2b-512 of the message
constexpr unsigned char kBlake2[2] = {'B', '2'};

void ready() {
    // Idempotent and thread-safe; -1 only when no randomness can be had at all.
    if (sodium_init() < 0)
        throw std::runtime_error("libsodium cannot start");
}

std::string to_base64(const unsigned char* data, size_t size) {
    std::string out(sodium_base64_encoded_len(size, sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(out.data(), out.size(), data, size, sodium_base64_VARIANT_ORIGINAL);
    out.resize(std::strlen(out.c_str()));
    return out;
}

std::optional<std::vector<unsigned char>> from_base64(std::string_view text) {
    // libsodium's buffer may not be null, which an empty vector's data() is.
    if (text.empty())
        return std::vector<unsigned char>{};
    std::vector<unsigned char> out(text.size());
    size_t size = 0;
    if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), " \t\r\n", &size,
                          nullptr, sodium_base64_VARIANT_ORIGINAL) != 0)
        return std::nullopt;
    out.resize(size);
    return out;
}

// The lines of a minisign file, without their line ends.
std::vector<std::string_view> lines_of(std::string_view text) {
    std::vector<std::string_view> out;
    while (!text.empty()) {
        size_t end = text.find('\n');
        std::string_view line = text.substr(0, end);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        out.push_back(line);
        if (end == std::string_view::npos)
            break;
        text.remove_prefix(end + 1);
    }
    return out;
}

// The base64 line of a key file: the line after the comment, or the whole text.
std::string_view key_line(std::string_view text) {
    auto lines = lines_of(text);
    for (size_t i = 0; i < lines.size(); ++i)
        if (!lines[i].empty() && !lines[i].starts_with("untrusted comment:"))
            return lines[i];
    return {};
}

} // namespace

std::string minisign_key_id(const std::array<unsigned char, 8>& id) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (int i = 7; i >= 0; --i) { // a little-endian number, printed as minisign does
        out += hex[id[i] >> 4];
        out += hex[id[i] & 15];
    }
    return out;
}

std::pair<MinisignPublicKey, MinisignSecretKey> minisign_generate() {
    ready();
    MinisignPublicKey pub;
    MinisignSecretKey sec;
    crypto_sign_keypair(pub.key.data(), sec.key.data());
    randombytes_buf(pub.key_id.data(), pub.key_id.size());
    sec.key_id = pub.key_id;
    return {pub, sec};
}

std::string minisign_public_key_line(const MinisignPublicKey& key) {
    unsigned char raw[42];
    std::memcpy(raw, kEd, 2);
    std::memcpy(raw + 2, key.key_id.data(), 8);
    std::memcpy(raw + 10, key.key.data(), 32);
    return to_base64(raw, sizeof raw);
}

std::string minisign_format_public_key(const MinisignPublicKey& key) {
    return "untrusted comment: minisign public key " + minisign_key_id(key.key_id) + "\n" +
           minisign_public_key_line(key) + "\n";
}

Result<MinisignPublicKey> minisign_parse_public_key(std::string_view text) {
    auto raw = from_base64(key_line(text));
    if (!raw || raw->size() != 42 || std::memcmp(raw->data(), kEd, 2) != 0)
        return Error{"not a minisign public key (expected a line of 56 base64 characters, "
                     "starting with RW)"};
    MinisignPublicKey key;
    std::memcpy(key.key_id.data(), raw->data() + 2, 8);
    std::memcpy(key.key.data(), raw->data() + 10, 32);
    return key;
}

// Secret key layout: "Ed" | kdf "\0\0" or "Sc" | "B2" | salt[32] | opslimit[8] |
// memlimit[8] | key id[8] | secret key[64] | checksum[32], the last three (104
// bytes) XORed with an scrypt stream when kdf is "Sc".
Result<MinisignSecretKey> minisign_parse_secret_key(std::string_view text) {
    ready();
    auto raw = from_base64(key_line(text));
    if (!raw || raw->size() != 158 || std::memcmp(raw->data(), kEd, 2) != 0 ||
        std::memcmp(raw->data() + 4, kBlake2, 2) != 0)
        return Error{"not a minisign secret key"};
    const unsigned char* p = raw->data();
    if (p[2] == 'S' && p[3] == 'c')
        return Error{"the secret key is protected by a password: decrypt it with minisign, "
                     "or make one without a password (minisign -G -W, or milepost-pack keygen)"};
    if (p[2] != 0 || p[3] != 0)
        return Error{"not a minisign secret key (unknown key derivation)"};
    MinisignSecretKey key;
    std::memcpy(key.key_id.data(), p + 54, 8);
    std::memcpy(key.key.data(), p + 62, 64);
    unsigned char checksum[32];
    crypto_generichash_state st;
    crypto_generichash_init(&st, nullptr, 0, sizeof checksum);
    crypto_generichash_update(&st, kEd, 2);
    crypto_generichash_update(&st, key.key_id.data(), 8);
    crypto_generichash_update(&st, key.key.data(), 64);
    crypto_generichash_final(&st, checksum, sizeof checksum);
    // minisign -W leaves the checksum of a password-less key zero; check any other.
    if (!sodium_is_zero(p + 126, 32) && sodium_memcmp(checksum, p + 126, 32) != 0)
        return Error{"the secret key's checksum does not match: the file is damaged"};
    return key;
}

std::string minisign_format_secret_key(const MinisignSecretKey& key) {
    ready();
    unsigned char raw[158] = {};
    std::memcpy(raw, kEd, 2);
    // raw[2..3] = 0: no password; salt, opslimit and memlimit stay zero.
    std::memcpy(raw + 4, kBlake2, 2);
    std::memcpy(raw + 54, key.key_id.data(), 8);
    std::memcpy(raw + 62, key.key.data(), 64);
    crypto_generichash_state st;
    crypto_generichash_init(&st, nullptr, 0, 32);
    crypto_generichash_update(&st, kEd, 2);
    crypto_generichash_update(&st, key.key_id.data(), 8);
    crypto_generichash_update(&st, key.key.data(), 64);
    crypto_generichash_final(&st, raw + 126, 32);
    std::string out =
        "untrusted comment: milepost-pack secret key (no password: keep this file safe)\n" +
        to_base64(raw, sizeof raw) + "\n";
    sodium_memzero(raw, sizeof raw);
    return out;
}

std::string minisign_sign(const MinisignSecretKey& key, std::string_view message,
                          std::string_view trusted_comment) {
    ready();
    unsigned char hash[crypto_generichash_BYTES_MAX];
    crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(message.data()),
                       message.size(), nullptr, 0);
    unsigned char sig[74];
    std::memcpy(sig, kPrehashed, 2);
    std::memcpy(sig + 2, key.key_id.data(), 8);
    crypto_sign_detached(sig + 10, nullptr, hash, sizeof hash, key.key.data());
    // The global signature covers the signature and the trusted comment.
    std::string global_input(reinterpret_cast<const char*>(sig + 10), 64);
    global_input.append(trusted_comment);
    unsigned char global[64];
    crypto_sign_detached(global, nullptr,
                         reinterpret_cast<const unsigned char*>(global_input.data()),
                         global_input.size(), key.key.data());
    return "untrusted comment: signature from milepost-pack secret key\n" +
           to_base64(sig, sizeof sig) + "\ntrusted comment: " + std::string(trusted_comment) +
           "\n" + to_base64(global, sizeof global) + "\n";
}

namespace {

// A .minisig's signature line (its second), decoded: the algorithm (2 bytes), the
// key id (8) and the signature (64); nullopt when it is not one.
std::optional<std::vector<unsigned char>>
signature_line(const std::vector<std::string_view>& lines) {
    if (lines.size() < 2 || !lines[0].starts_with("untrusted comment:"))
        return std::nullopt;
    auto sig = from_base64(lines[1]);
    if (!sig || sig->size() != 74)
        return std::nullopt;
    return sig;
}

std::array<unsigned char, 8> key_id_in(const std::vector<unsigned char>& sig) {
    std::array<unsigned char, 8> id;
    std::memcpy(id.data(), sig.data() + 2, 8);
    return id;
}

} // namespace

Result<std::array<unsigned char, 8>> minisign_signature_key_id(std::string_view signature) {
    ready();
    auto sig = signature_line(lines_of(signature));
    if (!sig)
        return Error{"not a minisign signature"};
    return key_id_in(*sig);
}

Result<std::string> minisign_verify(const MinisignPublicKey& key, std::string_view message,
                                    std::string_view signature) {
    ready();
    auto lines = lines_of(signature);
    auto sig = signature_line(lines);
    if (!sig || lines.size() < 4 || !lines[2].starts_with("trusted comment: "))
        return Error{"not a minisign signature"};
    auto global = from_base64(lines[3]);
    if (!global || global->size() != 64)
        return Error{"not a minisign signature"};
    const bool prehashed = std::memcmp(sig->data(), kPrehashed, 2) == 0;
    if (!prehashed && std::memcmp(sig->data(), kEd, 2) != 0)
        return Error{"not a minisign signature (unknown algorithm)"};
    if (const auto id = key_id_in(*sig); id != key.key_id)
        return Error{"signed with another key (" + minisign_key_id(id) + ", expected " +
                     minisign_key_id(key.key_id) + ")"};
    int rc;
    if (prehashed) {
        unsigned char hash[crypto_generichash_BYTES_MAX];
        crypto_generichash(hash, sizeof hash,
                           reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                           nullptr, 0);
        rc = crypto_sign_verify_detached(sig->data() + 10, hash, sizeof hash, key.key.data());
    } else {
        rc = crypto_sign_verify_detached(sig->data() + 10,
                                         reinterpret_cast<const unsigned char*>(message.data()),
                                         message.size(), key.key.data());
    }
    if (rc != 0)
        return Error{"the signature does not match the file: it was changed after signing"};
    std::string_view comment = lines[2].substr(std::strlen("trusted comment: "));
    std::string global_input(reinterpret_cast<const char*>(sig->data() + 10), 64);
    global_input.append(comment);
    if (crypto_sign_verify_detached(global->data(),
                                    reinterpret_cast<const unsigned char*>(global_input.data()),
                                    global_input.size(), key.key.data()) != 0)
        return Error{"the trusted comment was changed after signing"};
    return std::string(comment);
}

} // namespace milepost
