//===- HostObject.cpp - Host kernel libraries -----------------------------===//

#include "meld/Target/HostObject.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Target/LLVMIR/LLVMTranslationInterface.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <mutex>

#ifndef MELD_DEFAULT_LINKER
#define MELD_DEFAULT_LINKER "ld.lld"
#endif

using namespace mlir;

namespace {

/// Translates `module` to LLVM IR for the host and optimizes it.
llvm::Expected<std::unique_ptr<llvm::Module>>
translateAndOptimize(ModuleOp module, llvm::LLVMContext &llvmContext,
                     const meld::HostObjectOptions &options,
                     std::unique_ptr<llvm::TargetMachine> &machine) {
  // Registering the target is not thread-safe, and meldc compiles several
  // host libraries at once.
  static std::once_flag initialized;
  std::call_once(initialized, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });

  // The translation interfaces, unless the context has them already (meld's
  // tools register them up front: threads compiling several libraries then
  // never change the context's registry).
  auto *llvmDialect =
      module.getContext()->getOrLoadDialect<LLVM::LLVMDialect>();
  if (!llvmDialect->getRegisteredInterface<LLVMTranslationDialectInterface>()) {
    static std::mutex registryMutex;
    std::lock_guard<std::mutex> lock(registryMutex);
    DialectRegistry registry;
    registerBuiltinDialectTranslation(registry);
    registerLLVMDialectTranslation(registry);
    module.getContext()->appendDialectRegistry(registry);
  }

  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext, "meld-host-kernels");
  if (!llvmModule)
    return llvm::createStringError("cannot translate the host kernels to "
                                   "LLVM IR");

  llvm::Triple triple(llvm::sys::getProcessTriple());
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return llvm::createStringError("no LLVM target for '" + triple.str() +
                                   "': " + error);
  llvm::TargetOptions targetOptions;
  machine.reset(target->createTargetMachine(
      triple, options.cpu, "", targetOptions, llvm::Reloc::PIC_,
      std::nullopt,
      options.optLevel >= 2 ? llvm::CodeGenOptLevel::Aggressive
                            : llvm::CodeGenOptLevel::Default));
  if (!machine)
    return llvm::createStringError("cannot create a target machine for '" +
                                   triple.str() + "'");
  llvmModule->setTargetTriple(triple);
  llvmModule->setDataLayout(machine->createDataLayout());

  auto optimize = makeOptimizingTransformer(options.optLevel,
                                            /*sizeLevel=*/0, machine.get());
  if (llvm::Error err = optimize(llvmModule.get()))
    return std::move(err);
  return std::move(llvmModule);
}

} // namespace

llvm::Error meld::emitHostLLVMIR(ModuleOp module, llvm::raw_ostream &os,
                                 const HostObjectOptions &options) {
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::TargetMachine> machine;
  auto llvmModule = translateAndOptimize(module, llvmContext, options, machine);
  if (!llvmModule)
    return llvmModule.takeError();
  (*llvmModule)->print(os, nullptr);
  return llvm::Error::success();
}

llvm::Expected<std::vector<uint8_t>>
meld::emitHostSharedObject(ModuleOp module, const HostObjectOptions &options) {
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::TargetMachine> machine;
  auto llvmModule = translateAndOptimize(module, llvmContext, options, machine);
  if (!llvmModule)
    return llvmModule.takeError();

  // Object code into a temporary file, then linked into a shared object.
  llvm::SmallString<128> objectPath, libraryPath;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
          "meld-host", "o", objectPath))
    return llvm::createStringError(ec, "cannot create a temporary file");
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
          "meld-host", "so", libraryPath)) {
    llvm::sys::fs::remove(objectPath);
    return llvm::createStringError(ec, "cannot create a temporary file");
  }
  auto cleanup = llvm::make_scope_exit([&] {
    llvm::sys::fs::remove(objectPath);
    llvm::sys::fs::remove(libraryPath);
  });
  {
    std::error_code ec;
    llvm::raw_fd_ostream object(objectPath, ec);
    if (ec)
      return llvm::createStringError(ec, "cannot write '" + objectPath + "'");
    llvm::legacy::PassManager codegen;
    if (machine->addPassesToEmitFile(codegen, object, nullptr,
                                     llvm::CodeGenFileType::ObjectFile))
      return llvm::createStringError("the target cannot emit object files");
    codegen.run(**llvmModule);
  }

  std::string linker = options.linker.empty() ? MELD_DEFAULT_LINKER
                                              : options.linker;
  if (!llvm::sys::fs::exists(linker)) {
    auto found = llvm::sys::findProgramByName(linker);
    if (!found)
      return llvm::createStringError("cannot find the linker '" + linker +
                                     "' (install lld)");
    linker = *found;
  }
  std::string errorMessage;
  llvm::StringRef args[] = {linker, "-shared", "--no-undefined-version",
                            "-o", libraryPath, objectPath};
  int rc = llvm::sys::ExecuteAndWait(linker, args, std::nullopt, {}, 0, 0,
                                     &errorMessage);
  if (rc != 0)
    return llvm::createStringError("linking the host kernels failed: " +
                                   (errorMessage.empty()
                                        ? "'" + linker + "' exited with " +
                                              std::to_string(rc)
                                        : errorMessage));
  auto buffer = llvm::MemoryBuffer::getFile(libraryPath);
  if (!buffer)
    return llvm::createStringError(buffer.getError(),
                                   "cannot read the linked kernels");
  llvm::StringRef bytes = (*buffer)->getBuffer();
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}
