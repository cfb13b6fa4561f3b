#pragma once
// Where `milepost-fleet ingest` reads uploads from: the ingest store as nginx keeps
// it on disk (a folder), or an S3 bucket the screens PUT into (ListObjectsV2 and
// GET, signed with AWS SigV4 by libcurl, as the screens sign their PUTs). Either way
// the files are <device>/plays/<log_id>-<first>-<last>.ndjson, <device>/status.json
// and <device>/screenshot.png under SOURCE.
#include "core/Result.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace milepost::fleet {

struct SourceFile {
    enum class Kind { Plays, Status, Screenshot } kind = Kind::Plays;
    std::string device;
    std::string path;          // as under SOURCE: "<device>/status.json"
    std::int64_t size = 0;     // -1: not a plain file (a link, a folder)
    std::int64_t mtime_ns = 0; // its modification time (S3: LastModified)
    std::string etag;          // S3's; "" for a folder
};

// "<device>/plays/<name>.ndjson", "<device>/status.json", "<device>/screenshot.png"
// (the device a valid id): what it is; nullopt for anything else.
std::optional<SourceFile> classify_path(const std::string& path);

class Source {
public:
    virtual ~Source() = default;
    // Every file of the store, in path order. An error: it cannot be listed at all.
    virtual Result<std::vector<SourceFile>> list() = 0;
    // The file's bytes, when at most `max`. Safe from two threads at once.
    virtual Result<std::string> read(const SourceFile& file, std::uint64_t max) = 0;
    // How the user names a file of it, for messages.
    virtual std::string name(const std::string& path) const = 0;
};

std::unique_ptr<Source> folder_source(const std::filesystem::path& folder);

// "s3://BUCKET/PREFIX/". The keys come from the environment, as for the AWS tools:
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), AWS_REGION or
// AWS_DEFAULT_REGION (default us-east-1). `endpoint`: an S3-compatible store's URL
// ("" = AWS's, https://s3.REGION.amazonaws.com); requests are path-style. Keys
// travel only over https, or to this machine.
Result<std::unique_ptr<Source>> s3_source(const std::string& url, const std::string& endpoint);

} // namespace milepost::fleet
