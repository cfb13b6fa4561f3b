#include "Files.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace milepost {

Result<std::string> read_file(const std::filesystem::path& path, std::size_t max_bytes) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
    if (!in)
        return Error{path.string() + ": cannot read: " + std::strerror(errno)};
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

} // namespace milepost
