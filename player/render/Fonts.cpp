#include "Fonts.hpp"

#include <fcntl.h>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace milepost {

Fonts::Mapping::Mapping(const std::string& path) : m_path(path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    struct stat st {};
    if (fstat(fd, &st) == 0 && st.st_size > 0) {
        void* data =
            mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
        if (data != MAP_FAILED) {
            m_data = data;
            m_size = static_cast<std::size_t>(st.st_size);
        }
    }
    ::close(fd);
}

Fonts::Mapping::Mapping(Mapping&& other) noexcept
    : m_path(std::move(other.m_path)), m_data(std::exchange(other.m_data, nullptr)),
      m_size(std::exchange(other.m_size, 0)) {}

Fonts::Mapping::~Mapping() {
    if (m_data)
        munmap(m_data, m_size);
}

SDL_RWops* Fonts::Mapping::stream() const {
    if (m_data)
        return SDL_RWFromConstMem(m_data, static_cast<int>(m_size));
    return SDL_RWFromFile(m_path.c_str(), "rb");
}

Result<Fonts> Fonts::open(const std::string& dir) {
    const int initial_px = 32;
    Mapping regular_file(dir + "/DejaVuSans.ttf");
    Mapping bold_file(dir + "/DejaVuSans-Bold.ttf");
    // The stream is closed with the font (or at once when it cannot be opened).
    auto open_one = [&](const Mapping& file) -> FontPtr {
        SDL_RWops* stream = file.stream();
        return FontPtr(stream ? TTF_OpenFontRW(stream, 1, initial_px) : nullptr);
    };
    FontPtr regular = open_one(regular_file);
    FontPtr bold = open_one(bold_file);
    if (!regular || !bold)
        return Error{"cannot open " + dir + "/DejaVuSans.ttf and DejaVuSans-Bold.ttf: " +
                     TTF_GetError() + " (install fonts-dejavu-core)"};
    Fonts fonts(std::move(regular_file), std::move(bold_file), std::move(regular), std::move(bold));
    fonts.m_regular_px = fonts.m_bold_px = initial_px;
    return fonts;
}

TTF_Font* Fonts::at(Face face, int px) {
    TTF_Font* font = face == Face::Bold ? m_bold.get() : m_regular.get();
    int& current = face == Face::Bold ? m_bold_px : m_regular_px;
    if (current != px) {
        TTF_SetFontSize(font, px);
        current = px;
    }
    return font;
}

int Fonts::width(Face face, int px, std::string_view utf8) {
    std::string s(utf8);
    int w = 0, h = 0;
    if (TTF_SizeUTF8(at(face, px), s.c_str(), &w, &h) != 0)
        return 0;
    return w;
}

int Fonts::line_height(Face face, int px) {
    return TTF_FontLineSkip(at(face, px));
}

} // namespace milepost
