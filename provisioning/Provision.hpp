#pragma once
// milepost-provision's pieces: site configs made and checked with the player's
// own parser, the CSV of a batch, and the boot partition of a card image edited
// with mtools at its offset (no mount, no root).
#include "core/Result.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace milepost {

// What `config` (and each batch row) sets.
struct SiteFields {
    std::string id, site, region, timezone, channel;
    std::vector<std::string> languages;
    std::string server, public_key, upload_url;
};

// The TOML of `base` (may be "") with `fields` set on top; checked by the player's
// parser (the error names `origin`, the key and what was expected).
Result<std::string> make_site_config(const std::string& base, const SiteFields& fields,
                                     const std::string& origin);
// Checks TOML text as the player would read it as /boot/firmware/milepost.toml.
Result<void> check_site_config(const std::string& text, const std::string& origin);

// RFC 4180 CSV: quoted fields with "" and commas and newlines inside.
std::vector<std::vector<std::string>> parse_csv(const std::string& text,
                                                std::vector<int>* line_numbers = nullptr);

struct BatchReport {
    int written = 0;
    std::vector<std::string> errors; // "SITES.csv:5: region \"Texas\": ..."
};
// SITES.csv rows (id,site,region,timezone,channel,languages) over BASE.toml into
// DIR/<id>.toml; bad rows are reported, good ones written.
BatchReport run_batch(const std::filesystem::path& csv, const std::filesystem::path& base,
                      const std::filesystem::path& out);

// The first FAT partition of an MBR disk or image: its byte offset.
Result<std::uint64_t> fat_partition_offset(const std::filesystem::path& image);

// Files on the boot partition, by name ("milepost.toml"), written with mcopy.
Result<void> write_boot_files(const std::filesystem::path& image,
                              const std::map<std::string, std::string>& files);
// A file on the boot partition, read with mtype; nullopt when absent.
Result<std::optional<std::string>> read_boot_file(const std::filesystem::path& image,
                                                  const std::string& name);

// The boot-partition files of a site: milepost.toml, and the optional hostname,
// Wi-Fi network (kWifiFile) and SSH key first boot imports.
struct CardExtras {
    std::string hostname;
    std::string wifi_ssid, wifi_psk;
    std::string ssh_key;
};
Result<std::map<std::string, std::string>> boot_files(const std::string& config,
                                                      const CardExtras& extras);

// Reasons a block device must not be flashed; empty when it may be. `force` lifts
// the size limit only.
std::vector<std::string> flash_refusals(const std::filesystem::path& device, bool force);

// The Wi-Fi network for first boot: "ssid=" and "psk=" lines, verbatim. Once
// imported, first boot leaves "ssid=" and "imported=yes" and no psk line.
inline constexpr const char* kWifiFile = "milepost-wifi.txt";

inline constexpr std::uint64_t kMaxCardBytes = 256ull * 1000 * 1000 * 1000;

} // namespace milepost
