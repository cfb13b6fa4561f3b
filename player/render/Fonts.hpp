#pragma once
// The two faces every screen draws with, at any pixel size.
#include "SdlHandles.hpp"
#include "core/Result.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace milepost {

enum class Face { Regular, Bold };

class Fonts {
public:
    // Opens DejaVu Sans (fonts-dejavu-core) from `dir` (default: Debian's path).
    // TTF_Init must have been called.
    static Result<Fonts> open(const std::string& dir = kDefaultDir);

    // The font at `px` pixels per em. The pointer stays valid; the size is the
    // last one asked for, so use it before asking for another.
    TTF_Font* at(Face face, int px);
    int width(Face face, int px, std::string_view utf8);
    int line_height(Face face, int px);

    static constexpr const char* kDefaultDir = "/usr/share/fonts/truetype/dejavu";

    // A font file mapped into memory, read-only. FreeType then reads its glyphs from
    // memory: through a file it seeks and reads (two system calls) at every glyph,
    // which made laying out text at many sizes several times slower.
    class Mapping {
    public:
        explicit Mapping(const std::string& path);
        Mapping(Mapping&& other) noexcept;
        Mapping& operator=(Mapping&&) = delete;
        ~Mapping();
        // An SDL stream over the mapped bytes, or over the file when it could not
        // be mapped.
        SDL_RWops* stream() const;

    private:
        std::string m_path;
        void* m_data = nullptr;
        std::size_t m_size = 0;
    };

private:
    Fonts(Mapping regular_file, Mapping bold_file, FontPtr regular, FontPtr bold)
        : m_regular_file(std::move(regular_file)), m_bold_file(std::move(bold_file)),
          m_regular(std::move(regular)), m_bold(std::move(bold)) {}
    // Before the fonts: they read from these until they are closed.
    Mapping m_regular_file;
    Mapping m_bold_file;
    FontPtr m_regular;
    FontPtr m_bold;
    int m_regular_px = 0;
    int m_bold_px = 0;
};

} // namespace milepost
