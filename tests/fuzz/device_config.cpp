// The device config (/etc/milepost/device.toml) and the provisioning override
// (/boot/firmware/milepost.toml) written on a PC: TOML from whoever holds the card.
// The input is the device config, then, after a NUL byte if there is one, the
// override applied on top, as load_device_config does. Bad input must end in a
// ConfigError (a message naming file and key); anything else escaping is a bug.
#include "FuzzSupport.hpp"
#include "core/DeviceConfig.hpp"
#include "core/Result.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace milepost;
    const std::string_view input = fuzz::as_text(data, size);
    const std::size_t nul = input.find('\0');
    const std::string_view device = input.substr(0, nul);
    const std::string_view override_text =
        nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);
    DeviceConfig config;
    std::vector<std::string> warnings;
    try {
        apply_device_config(config, device, "device.toml", warnings);
        if (nul != std::string_view::npos)
            apply_device_config(config, override_text, "milepost.toml", warnings);
        finish_device_config(config, "device.toml", "0123456789abcdef0123456789abcdef");
    } catch (const ConfigError& e) {
        if (e.message.empty())
            __builtin_trap(); // an error must say what is wrong
    }
    return 0;
}
