# luoshi_proto_library(NAME PROTOS file.proto... [GRPC])
# Generates C++ (and gRPC stubs with GRPC) for the given .proto files, relative to proto/, into a static
# library NAME (messages and stubs) and NAME_messages (messages only, no gRPC) that carry the include path
# and the protobuf / gRPC link dependencies.
function(luoshi_proto_library name)
  cmake_parse_arguments(ARG "GRPC" "" "PROTOS" ${ARGN})
  set(proto_root ${PROJECT_SOURCE_DIR}/proto)
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/gen)
  file(MAKE_DIRECTORY ${out_dir})
  get_target_property(grpc_plugin gRPC::grpc_cpp_plugin LOCATION)
  set(srcs)       # messages: *.pb.cc
  set(grpc_srcs)  # service stubs: *.grpc.pb.cc
  foreach(proto ${ARG_PROTOS})
    get_filename_component(stem ${proto} NAME_WE)
    get_filename_component(dir ${proto} DIRECTORY)
    set(outputs ${out_dir}/${dir}/${stem}.pb.cc ${out_dir}/${dir}/${stem}.pb.h)
    set(args --cpp_out=${out_dir})
    if(ARG_GRPC)
      list(APPEND outputs ${out_dir}/${dir}/${stem}.grpc.pb.cc ${out_dir}/${dir}/${stem}.grpc.pb.h)
      list(APPEND args --grpc_out=${out_dir} --plugin=protoc-gen-grpc=${grpc_plugin})
      list(APPEND grpc_srcs ${out_dir}/${dir}/${stem}.grpc.pb.cc ${out_dir}/${dir}/${stem}.grpc.pb.h)
    endif()
    add_custom_command(
      OUTPUT ${outputs}
      COMMAND protobuf::protoc -I ${proto_root} -I ${Protobuf_INCLUDE_DIRS} ${args} ${proto_root}/${proto}
      DEPENDS ${proto_root}/${proto} protobuf::protoc
      COMMENT "protoc ${proto}"
      VERBATIM)
    list(APPEND srcs ${out_dir}/${dir}/${stem}.pb.cc ${out_dir}/${dir}/${stem}.pb.h)
  endforeach()
  # ${name}_messages: the messages only (protobuf, no gRPC), for code that never makes a call.
  add_library(${name}_messages STATIC ${srcs})
  target_include_directories(${name}_messages SYSTEM PUBLIC ${out_dir})
  target_link_libraries(${name}_messages PUBLIC protobuf::libprotobuf)
  if(ARG_GRPC)
    # ${name}: the messages and the gRPC service stubs.
    add_library(${name} STATIC ${grpc_srcs})
    target_link_libraries(${name} PUBLIC ${name}_messages gRPC::grpc++)
  else()
    add_library(${name} INTERFACE)
    target_link_libraries(${name} INTERFACE ${name}_messages)
  endif()
endfunction()
