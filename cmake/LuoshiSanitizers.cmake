# -DLUOSHI_SANITIZE=ON builds everything with ASan + UBSan; the test command runs the suite under them too.
if(LUOSHI_SANITIZE)
  if(MSVC)
    add_compile_options(/fsanitize=address)
  else()
    add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
    add_link_options(-fsanitize=address,undefined)
  endif()
endif()
