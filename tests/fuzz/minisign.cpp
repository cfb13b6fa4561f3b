// minisign public keys (device.toml's public_key, a .pub file) and signatures (the
// manifest's .minisig, fetched from the content server before anything is
// trusted: its key id is read first, to tell a key rotation from a bad file).
// Every failure must be a Result error with a message.
#include "core/Minisign.hpp"
#include "FuzzSupport.hpp"

namespace {

// A fixed key pair, so that runs are reproducible: the fuzzer's signature is
// checked against a key and a message it may have learnt from the seeds.
const milepost::MinisignPublicKey& fixed_key() {
    static const milepost::MinisignPublicKey key = [] {
        auto parsed = milepost::minisign_parse_public_key(
            "RWQ0qFXlue8Piwp6RGWS2g2ZQ8uf2Urm4szV2CZ7DXJTunIDUFzmaIp3");
        if (!parsed)
            __builtin_trap();
        return *parsed;
    }();
    return key;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace milepost;
    const std::string_view input = fuzz::as_text(data, size);
    auto check = [](const auto& result) {
        if (!result && result.error().message.empty())
            __builtin_trap();
    };
    // The input as a key: public (.pub or a bare line) and secret (pack's keygen file).
    const auto pub = minisign_parse_public_key(input);
    check(pub);
    if (pub) {
        // What parses must format to a key that parses to the same.
        const auto again = minisign_parse_public_key(minisign_format_public_key(*pub));
        if (!again || again->key != pub->key || again->key_id != pub->key_id)
            __builtin_trap();
    }
    check(minisign_parse_secret_key(input));
    // The input as a .minisig: the message is what follows its first NUL byte, if any.
    const std::size_t nul = input.find('\0');
    const std::string_view signature = input.substr(0, nul);
    const std::string_view message =
        nul == std::string_view::npos ? std::string_view("manifest") : input.substr(nul + 1);
    const auto key_id = minisign_signature_key_id(signature);
    check(key_id);
    const auto verified = minisign_verify(fixed_key(), message, signature);
    check(verified);
    // A signature that verifies names the key that verified it.
    if (verified && (!key_id || *key_id != fixed_key().key_id))
        __builtin_trap();
    if (pub)
        check(minisign_verify(*pub, message, signature));
    return 0;
}
