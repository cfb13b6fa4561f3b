#pragma once
// A QR code of a URL (libqrencode), as a grid of modules.
#include "core/Result.hpp"

#include <string_view>
#include <vector>

namespace milepost {

struct QrCode {
    int width = 0;                   // modules per side, without the quiet zone
    std::vector<unsigned char> dark; // width * width, row by row; 1 = dark module
};

Result<QrCode> make_qr_code(std::string_view text);

} // namespace milepost
