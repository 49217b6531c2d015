// RocksDbTier: the authoritative tier on local SSD. One RocksDB column family
// holds one table: key_codec.h keys, values of dim little-endian float32.
//
// Ownership: the tier borrows the DB and the column family handle; both must
// outlive it (ModelStore owns them).
// Thread safety: safe for concurrent calls (RocksDB is).
#pragma once

#include <cstdint>
#include <memory>

#include "engine/store/tier.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace strata {

std::unique_ptr<Tier> NewRocksDbTier(rocksdb::DB* db,
                                     rocksdb::ColumnFamilyHandle* column_family,
                                     uint32_t dim);

}  // namespace strata
