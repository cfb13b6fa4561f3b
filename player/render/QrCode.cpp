#include "QrCode.hpp"

#include <qrencode.h>

#include <memory>
#include <string>

namespace milepost {

Result<QrCode> make_qr_code(std::string_view text) {
    std::string s(text);
    std::unique_ptr<QRcode, decltype(&QRcode_free)> code(
        QRcode_encodeString8bit(s.c_str(), 0, QR_ECLEVEL_M), &QRcode_free);
    if (!code)
        return Error{"cannot make a QR code of \"" + s + "\""};
    QrCode out;
    out.width = code->width;
    out.dark.resize(static_cast<size_t>(code->width) * code->width);
    for (size_t i = 0; i < out.dark.size(); ++i)
        out.dark[i] = code->data[i] & 1;
    return out;
}

} // namespace milepost
