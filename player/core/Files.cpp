#include "Files.hpp"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

namespace milepost {

Result<std::string> read_file(const std::filesystem::path& path, std::size_t max_bytes,
                              Links links) {
    int flags = O_RDONLY | O_CLOEXEC;
    if (links == Links::Refuse)
        flags |= O_NOFOLLOW | O_NONBLOCK; // a FIFO opens at once, and is refused below
    const int fd = ::open(path.c_str(), flags);
    if (fd < 0)
        return Error{
            path.string() + ": cannot read: " +
            (errno == ELOOP && links == Links::Refuse ? "a symbolic link" : std::strerror(errno))};
    struct stat st {};
    if (links == Links::Refuse && (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
        ::close(fd);
        return Error{path.string() + ": cannot read: not a plain file"};
    }
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(::fdopen(fd, "rb"), &std::fclose);
    if (!in) {
        const int err = errno;
        ::close(fd);
        return Error{path.string() + ": cannot read: " + std::strerror(err)};
    }
    std::string data;
    char buf[65536];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, in.get())) > 0) {
        if (data.size() + n > max_bytes)
            return Error{path.string() + ": larger than " + std::to_string(max_bytes) + " bytes"};
        data.append(buf, n);
    }
    if (std::ferror(in.get()))
        return Error{path.string() + ": read error: " + std::strerror(errno)};
    return data;
}

std::optional<double> read_number_file(const std::filesystem::path& path) {
    auto text = read_file(path, 256);
    if (!text || text->empty())
        return std::nullopt;
    char* end = nullptr;
    const double v = std::strtod(text->c_str(), &end);
    if (end == text->c_str())
        return std::nullopt;
    return v;
}

} // namespace milepost
