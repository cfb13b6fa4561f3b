// DATA_DIR/failed-objects: what failed is left out after a restart, for that
// sequence and player version only; a load that never ended blocks the second time.
#include "app/FailedObjects.hpp"
#include "support/TestSupport.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>

using namespace milepost;
using namespace milepost::test;

namespace {
const std::string kA(64, 'a'), kB(64, 'b');
}

TEST_CASE("a failure is remembered across restarts for its sequence and version") {
    TempDir dir;
    const auto file = dir / "failed-objects";
    {
        FailedObjects f(file, "0.9");
        CHECK(!f.failed(kA, 7));
        f.record(kA, 7, "bad\tpicture\nsecond line");
        CHECK(f.failed(kA, 7) == "bad picture second line");
    }
    FailedObjects again(file, "0.9");
    CHECK(again.failed(kA, 7) == "bad picture second line");
    CHECK(!again.failed(kA, 8));                      // a new publication: tried again
    CHECK(!again.failed(kB, 7));                      // another file
    CHECK(!FailedObjects(file, "1.0").failed(kA, 7)); // another player
    again.loading(kA, 7);
    again.loaded(kA);
    CHECK(!FailedObjects(file, "0.9").failed(kA, 7)); // it loaded this time
}

TEST_CASE("a load that never ended blocks the second time, and a clean exit forgets it") {
    TempDir dir;
    const auto file = dir / "failed-objects";
    FailedObjects(file, "v").loading(kA, 3);        // killed while loading
    CHECK(!FailedObjects(file, "v").failed(kA, 3)); // once: maybe a power cut
    FailedObjects(file, "v").loading(kA, 3);        // killed again
    CHECK(FailedObjects(file, "v").failed(kA, 3) == "the player stopped while loading it");

    FailedObjects clean(file, "v");
    clean.loading(kB, 3);
    clean.drop_marks();
    FailedObjects after(file, "v");
    CHECK(after.failed(kA, 3)); // marked by an earlier run: kept
    after.loading(kB, 3);
    after.drop_marks();
    CHECK(!FailedObjects(file, "v").failed(kB, 3));
}

TEST_CASE("the file is bounded and a damaged one is read as empty") {
    TempDir dir;
    const auto file = dir / "failed-objects";
    {
        FailedObjects f(file, "v");
        for (int i = 0; i < 100; ++i) {
            char hex[65];
            std::snprintf(hex, sizeof hex, "%064x", i);
            f.record(hex, 1, "bad");
        }
    }
    const std::string text = read_file(file);
    CHECK(std::count(text.begin(), text.end(), '\n') == static_cast<long>(kMaxFailedObjects));
    dir.write("failed-objects", "\xff\xfe garbage\n" + kA + "\tx\tv\t0\tbad\n" + kB +
                                    "\t99999999999999999999\tv\t0\tbad\n" + kA.substr(1) +
                                    "\t1\tv\t0\tbad\n" + kB + "\t5\tv\t0\tfine line\n");
    FailedObjects damaged(file, "v");
    CHECK(!damaged.failed(kA, 1));
    CHECK(damaged.failed(kB, 5) == "fine line");
}
