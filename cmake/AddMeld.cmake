# add_meld_library(name sources...
#   [DEPENDS targets...]      tablegen targets to build first
#   [MLIR_LIBS libs...]       MLIR/LLVM component libraries: linked through the
#                             MLIR dylib (MLIR_LINK_MLIR_DYLIB), never statically,
#                             so every tool holds one copy of MLIR
#   [LINK_LIBS libs...])      Meld libraries and other dependencies
function(add_meld_library name)
  cmake_parse_arguments(ARG "" "" "DEPENDS;MLIR_LIBS;LINK_LIBS" ${ARGN})
  add_mlir_library(${name} ${ARG_UNPARSED_ARGUMENTS}
    EXCLUDE_FROM_LIBMLIR
    DEPENDS ${ARG_DEPENDS}
    LINK_LIBS PUBLIC ${ARG_LINK_LIBS})
  if(ARG_MLIR_LIBS)
    mlir_target_link_libraries(${name} PUBLIC ${ARG_MLIR_LIBS})
  endif()
endfunction()

# add_meld_tool(name sources... [MLIR_LIBS libs...] [LINK_LIBS libs...])
function(add_meld_tool name)
  cmake_parse_arguments(ARG "" "" "MLIR_LIBS;LINK_LIBS" ${ARGN})
  add_llvm_executable(${name} ${ARG_UNPARSED_ARGUMENTS})
  llvm_update_compile_flags(${name})
  if(ARG_MLIR_LIBS)
    mlir_target_link_libraries(${name} PRIVATE ${ARG_MLIR_LIBS})
  endif()
  target_link_libraries(${name} PRIVATE ${ARG_LINK_LIBS})
endfunction()
