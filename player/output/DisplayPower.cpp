#include "DisplayPower.hpp"

#include "core/Log.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <linux/cec-funcs.h>
#include <linux/cec.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace milepost {

namespace {

class NoCec final : public DisplayPower {
public:
    std::string name() const override { return "no HDMI-CEC adapter"; }
    PowerAck set(bool) override { return PowerAck::Unavailable; }
};

class FakeCec final : public DisplayPower {
public:
    explicit FakeCec(bool answers) : m_answers(answers) {}
    std::string name() const override { return "test CEC adapter"; }
    PowerAck set(bool) override {
        return m_answers ? PowerAck::Acknowledged : PowerAck::NotAcknowledged;
    }

private:
    bool m_answers;
};

class KernelCec final : public DisplayPower {
public:
    explicit KernelCec(int fd) : m_fd(fd) {}
    ~KernelCec() override { ::close(m_fd); }
    std::string name() const override { return "HDMI-CEC (/dev/cec0)"; }
    PowerAck set(bool on) override {
        if (!claim())
            return PowerAck::NotAcknowledged;
        cec_msg msg{};
        cec_msg_init(&msg, m_address, CEC_LOG_ADDR_TV);
        if (on)
            cec_msg_image_view_on(&msg);
        else
            cec_msg_standby(&msg);
        if (::ioctl(m_fd, CEC_TRANSMIT, &msg) != 0) {
            log::warn(std::string("HDMI-CEC: cannot send: ") + std::strerror(errno));
            return PowerAck::NotAcknowledged;
        }
        return (msg.tx_status & CEC_TX_STATUS_OK) ? PowerAck::Acknowledged
                                                  : PowerAck::NotAcknowledged;
    }

private:
    // A logical address of our own, as a playback device, once.
    bool claim() {
        if (m_address != CEC_LOG_ADDR_INVALID)
            return true;
        cec_log_addrs addrs{};
        if (::ioctl(m_fd, CEC_ADAP_G_LOG_ADDRS, &addrs) == 0 && addrs.num_log_addrs > 0 &&
            addrs.log_addr[0] != CEC_LOG_ADDR_INVALID) {
            m_address = addrs.log_addr[0];
            return true;
        }
        addrs = {};
        addrs.cec_version = CEC_OP_CEC_VERSION_1_4;
        addrs.vendor_id = CEC_VENDOR_ID_NONE;
        addrs.num_log_addrs = 1;
        addrs.log_addr_type[0] = CEC_LOG_ADDR_TYPE_PLAYBACK;
        addrs.primary_device_type[0] = CEC_OP_PRIM_DEVTYPE_PLAYBACK;
        addrs.all_device_types[0] = CEC_OP_ALL_DEVTYPE_PLAYBACK;
        std::strncpy(addrs.osd_name, "Milepost", sizeof addrs.osd_name - 1);
        if (::ioctl(m_fd, CEC_ADAP_S_LOG_ADDRS, &addrs) != 0 || addrs.num_log_addrs == 0 ||
            addrs.log_addr[0] == CEC_LOG_ADDR_INVALID) {
            log::warn(std::string("HDMI-CEC: no logical address (") + std::strerror(errno) +
                      "): is a TV connected?");
            return false;
        }
        m_address = addrs.log_addr[0];
        return true;
    }
    int m_fd;
    unsigned m_address = CEC_LOG_ADDR_INVALID;
};

} // namespace

std::unique_ptr<DisplayPower> open_display_power() {
    if (const char* test = std::getenv("MILEPOST_TEST_CEC"); test && *test)
        return std::make_unique<FakeCec>(std::string(test) == "ack");
    const int fd = ::open("/dev/cec0", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return std::make_unique<NoCec>();
    __u32 mode = CEC_MODE_INITIATOR;
    if (::ioctl(fd, CEC_S_MODE, &mode) != 0) {
        ::close(fd);
        return std::make_unique<NoCec>();
    }
    return std::make_unique<KernelCec>(fd);
}

std::string describe(PowerAck ack) {
    switch (ack) {
    case PowerAck::Acknowledged:
        return "the TV acknowledged";
    case PowerAck::NotAcknowledged:
        return "the TV did not acknowledge";
    case PowerAck::Unavailable:
        return "no HDMI-CEC";
    }
    return "?";
}

} // namespace milepost
