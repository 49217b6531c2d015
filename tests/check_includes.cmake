# The layering check: fails when a file includes a header of a library it
# may not use ("Libraries and who may use whom" in ARCHITECTURE.md), or when
# anything in engine/ includes gRPC. Runs as the ctest "include_check".
#   cmake -DROOT=<source dir> -P tests/check_includes.cmake
#
# A file's library is its folder: engine/<lib>/... (subfolders stay in their
# folder's library), server/, client/. RocksDB headers are included only in
# engine/store/rocksdb/, the one owner of the on-disk format. Each rule lists the libraries a
# library's files may include, itself included.

cmake_minimum_required(VERSION 3.25)

set(uses_engine/common "engine/common")
set(uses_engine/store "engine/store;engine/common")
set(uses_engine/cuda "engine/cuda;engine/common")
set(uses_engine/model "engine/model;engine/store;engine/cuda;engine/common")
set(uses_engine/update "engine/update;engine/model;engine/store;engine/common")
set(uses_engine/batch
    "engine/batch;engine/model;engine/store;engine/cuda;engine/common")
set(uses_engine/builder
    "engine/builder;engine/batch;engine/update;engine/model;engine/store;engine/cuda;engine/common")
# The server and the CLI use the engine through the builder: they may
# include engine/builder/ and engine/common/, and of the other engine folders
# only the headers of the types the builder hands out (below). Everything
# that assembles the engine (stores, tiers, the registry's Open inputs, the
# Kafka source, importers) stays behind engine/builder/.
set(uses_server "server;engine/builder;engine/common")
set(uses_client "client;engine/builder;engine/common")
set(engine_api
    engine/batch/batcher.h
    engine/batch/infer_job.h
    engine/batch/lookup_job.h
    engine/model/dense/dense_network.h
    engine/model/dense_model.h
    engine/model/model_loader.h
    engine/model/model_manifest.h
    engine/model/model_registry.h
    engine/model/snapshot.h
    engine/store/tier.h
    engine/store/tier_chain.h
    engine/update/applier.h
    engine/update/kafka_conf.h
    engine/update/update_codec.h
    engine/update/update_sidecar.h)

if(NOT ROOT)
  message(FATAL_ERROR "usage: cmake -DROOT=<source dir> -P check_includes.cmake")
endif()

file(GLOB_RECURSE files RELATIVE "${ROOT}"
     "${ROOT}/engine/*.h" "${ROOT}/engine/*.cc" "${ROOT}/engine/*.cu"
     "${ROOT}/engine/*.cuh" "${ROOT}/server/*.h" "${ROOT}/server/*.cc"
     "${ROOT}/client/*.h" "${ROOT}/client/*.cc")

# The library a path belongs to, or "" when it is none of ours.
function(library_of path out)
  if(path MATCHES "^engine/([^/]+)/")
    set(${out} "engine/${CMAKE_MATCH_1}" PARENT_SCOPE)
  elseif(path MATCHES "^(server|client)/")
    set(${out} "${CMAKE_MATCH_1}" PARENT_SCOPE)
  else()
    set(${out} "" PARENT_SCOPE)
  endif()
endfunction()

set(errors 0)
foreach(f IN LISTS files)
  library_of("${f}" lib)
  if(NOT DEFINED uses_${lib})
    message(SEND_ERROR "${f}: library ${lib} has no rule in check_includes.cmake")
    math(EXPR errors "${errors} + 1")
    continue()
  endif()
  file(STRINGS "${ROOT}/${f}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*[\"<]")
  foreach(line IN LISTS lines)
    if(NOT line MATCHES "[\"<]([^\">]+)[\">]")
      continue()
    endif()
    set(inc "${CMAKE_MATCH_1}")
    if(lib MATCHES "^engine/" AND inc MATCHES "(^grpc|\\.grpc\\.pb\\.h$)")
      message(SEND_ERROR "${f}: engine/ must not include gRPC (${inc})")
      math(EXPR errors "${errors} + 1")
    endif()
    if(inc MATCHES "^rocksdb/" AND NOT f MATCHES "^engine/store/rocksdb/")
      message(SEND_ERROR
              "${f}: only engine/store/rocksdb/ includes RocksDB (${inc}); "
              "use RocksDbStore's typed operations")
      math(EXPR errors "${errors} + 1")
    endif()
    library_of("${inc}" target)
    if(target STREQUAL "" OR target IN_LIST uses_${lib})
      continue()
    endif()
    if(lib MATCHES "^(server|client)$" AND inc IN_LIST engine_api)
      continue()
    endif()
    message(SEND_ERROR
            "${f}: ${lib} may not use ${target} (includes ${inc}); see "
            "\"Libraries and who may use whom\" in ARCHITECTURE.md")
    math(EXPR errors "${errors} + 1")
  endforeach()
endforeach()

list(LENGTH files checked)
if(errors GREATER 0)
  message(FATAL_ERROR "include check: ${errors} forbidden includes")
endif()
message(STATUS "include check: ${checked} files, every include allowed")
