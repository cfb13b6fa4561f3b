#include "Files.hpp"

#include <sodium.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace milepost {

Result<std::string> sha256_file(const std::filesystem::path& file,
                                const std::function<void(std::uint64_t)>& progress) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(file.c_str(), "rb"),
                                                       &std::fclose);
    if (!in)
        return Error{file.string() + ": cannot read: " + std::strerror(errno)};
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init(&state);
    std::vector<unsigned char> buf(1 << 20);
    std::uint64_t total = 0;
    size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), in.get())) > 0) {
        crypto_hash_sha256_update(&state, buf.data(), n);
        total += n;
        if (progress)
            progress(total);
    }
    if (std::ferror(in.get()))
        return Error{file.string() + ": read error: " + std::strerror(errno)};
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&state, digest);
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    return std::string(hex);
}

std::string sha256_bytes(std::string_view bytes) {
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    return std::string(hex);
}

Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view data) {
    const std::filesystem::path tmp = path.string() + ".tmp-" + std::to_string(getpid());
    // A new file, never one found there: the data folder is writable by the
    // player's group too, and a link planted under this name must not lead sync
    // to write through it (into an object, say).
    ::unlink(tmp.c_str());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return Error{tmp.string() + ": cannot write: " + std::strerror(errno)};
    size_t done = 0;
    while (done < data.size()) {
        ssize_t w = ::write(fd, data.data() + done, data.size() - done);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            std::string why = std::strerror(errno);
            ::close(fd);
            ::unlink(tmp.c_str());
            return Error{tmp.string() + ": cannot write: " + why};
        }
        done += static_cast<size_t>(w);
    }
    const bool synced = ::fsync(fd) == 0;
    const int sync_errno = errno;
    const bool closed = ::close(fd) == 0; // always closed, even when the sync failed
    if (!synced || !closed) {
        ::unlink(tmp.c_str());
        return Error{tmp.string() +
                     ": cannot write: " + std::strerror(synced ? errno : sync_errno)};
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::string why = std::strerror(errno);
        ::unlink(tmp.c_str());
        return Error{path.string() + ": cannot write: " + why};
    }
    // The rename itself is made durable by syncing the folder.
    return sync_directory(path.parent_path().empty() ? "." : path.parent_path());
}

Result<void> sync_directory(const std::filesystem::path& folder) {
    int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return Error{folder.string() + ": cannot open: " + std::strerror(errno)};
    const bool ok = ::fsync(fd) == 0;
    const int err = errno;
    ::close(fd);
    if (!ok)
        return Error{folder.string() + ": cannot sync: " + std::strerror(err)};
    return {};
}

Result<void> sync_file(const std::filesystem::path& file) {
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return Error{file.string() + ": cannot open: " + std::strerror(errno)};
    const bool ok = ::fsync(fd) == 0;
    const int err = errno;
    ::close(fd);
    if (!ok)
        return Error{file.string() + ": cannot sync: " + std::strerror(err)};
    return {};
}

} // namespace milepost
