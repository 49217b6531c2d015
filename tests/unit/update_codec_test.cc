#include "engine/update/update_codec.h"

#include <catch2/catch.hpp>

namespace strata::testing {

TEST_CASE("UpdateBatch round-trips and is validated", "[update]") {
  const std::vector<int64_t> keys = {5, -7};
  const std::vector<float> values = {1, 2, 3, 4, 5, 6};
  std::string bytes = EncodeUpdateBatch("m", "t", 3, keys, values);
  auto u = DecodeUpdateBatch(bytes);
  REQUIRE(u.ok());
  CHECK(u->model == "m");
  CHECK(u->table == "t");
  CHECK(u->dim == 3);
  CHECK(u->keys == keys);
  CHECK(u->values == values);

  CHECK(absl::IsInvalidArgument(DecodeUpdateBatch("\xff\xff\xff").status()));
  // Values that do not fill whole rows (wrong dim).
  CHECK(absl::IsInvalidArgument(
      DecodeUpdateBatch(EncodeUpdateBatch("m", "t", 4, keys, values))
          .status()));
  CHECK(absl::IsInvalidArgument(
      DecodeUpdateBatch(EncodeUpdateBatch("m", "t", 0, {}, {})).status()));
  CHECK(absl::IsInvalidArgument(
      DecodeUpdateBatch(EncodeUpdateBatch("m/x", "t", 3, keys, values))
          .status()));
}

TEST_CASE("HCTR messages round-trip and bad ones are refused", "[update]") {
  const std::vector<int64_t> keys = {1, 2, 3};
  const std::vector<float> values = {1, 2, 3, 4, 5, 6};
  std::string bytes = EncodeHctr(2, keys, values);
  CHECK(bytes.size() == 8 + 3 * (8 + 8));
  auto u = DecodeHctr(bytes, "m", "t");
  REQUIRE(u.ok());
  CHECK(u->dim == 2);
  CHECK(u->keys == keys);
  CHECK(u->values == values);

  std::string bad_magic = bytes;
  bad_magic[0] = 'X';
  CHECK(absl::IsInvalidArgument(DecodeHctr(bad_magic, "m", "t").status()));
  CHECK(absl::IsInvalidArgument(
      DecodeHctr(bytes.substr(0, bytes.size() - 3), "m", "t").status()));
  CHECK(absl::IsInvalidArgument(DecodeHctr("HCT", "m", "t").status()));
  std::string odd = bytes;
  odd[4] = 7;  // value size not whole floats
  CHECK(absl::IsInvalidArgument(DecodeHctr(odd, "m", "t").status()));
  // An empty message is valid and carries no rows.
  auto empty = DecodeHctr(EncodeHctr(2, {}, {}), "m", "t");
  REQUIRE(empty.ok());
  CHECK(empty->keys.empty());
}

TEST_CASE("topic names say their model and table", "[update]") {
  CHECK(StrataTopic("strata.", "m") == "strata.m");
  CHECK(HpsTopic("m", "t") == "hps_et.m.t");
  auto hps = ParseTopic("strata.", "hps_et.my.model.t1");
  REQUIRE(hps.has_value());
  CHECK(hps->hps);
  CHECK(hps->model == "my.model");
  CHECK(hps->table == "t1");
  auto ours = ParseTopic("strata.", "strata.m");
  REQUIRE(ours.has_value());
  CHECK_FALSE(ours->hps);
  CHECK(ours->model == "m");
  CHECK_FALSE(ParseTopic("strata.", "other").has_value());
  CHECK_FALSE(ParseTopic("strata.", "hps_et.m").has_value());
}

}  // namespace strata::testing
