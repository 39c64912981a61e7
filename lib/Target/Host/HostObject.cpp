//===- HostObject.cpp - Host kernel libraries -----------------------------===//

#include "meld/Target/HostObject.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Target/LLVMIR/LLVMTranslationInterface.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/DerivedTypes.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"
#include "llvm/Transforms/Utils/Cloning.h"

#include <algorithm>
#include <mutex>
#include <optional>

#ifndef MELD_DEFAULT_LINKER
#define MELD_DEFAULT_LINKER "ld.lld"
#endif

using namespace mlir;

namespace {

/// The target machine host code is generated for.
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(const meld::HostObjectOptions &options) {
  llvm::Triple triple(llvm::sys::getProcessTriple());
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return llvm::createStringError("no LLVM target for '" + triple.str() +
                                   "': " + error);
  llvm::TargetOptions targetOptions;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, options.cpu, "", targetOptions, llvm::Reloc::PIC_,
      std::nullopt,
      options.optLevel >= 2 ? llvm::CodeGenOptLevel::Aggressive
                            : llvm::CodeGenOptLevel::Default));
  if (!machine)
    return llvm::createStringError("cannot create a target machine for '" +
                                   triple.str() + "'");
  return std::move(machine);
}

/// Runs LLVM's default optimization pipeline of `options.optLevel` on
/// `llvmModule`, tuned for `machine`, unrolling loops or not.
llvm::Error optimize(llvm::Module &llvmModule, llvm::TargetMachine &machine,
                     const meld::HostObjectOptions &options) {
  llvm::LoopAnalysisManager loops;
  llvm::FunctionAnalysisManager functions;
  llvm::CGSCCAnalysisManager cgscc;
  llvm::ModuleAnalysisManager modules;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopUnrolling = options.unrollLoops;
  llvm::PassBuilder builder(&machine, tuning);
  builder.registerModuleAnalyses(modules);
  builder.registerCGSCCAnalyses(cgscc);
  builder.registerFunctionAnalyses(functions);
  builder.registerLoopAnalyses(loops);
  builder.crossRegisterProxies(loops, functions, cgscc, modules);
  llvm::OptimizationLevel levels[] = {
      llvm::OptimizationLevel::O0, llvm::OptimizationLevel::O1,
      llvm::OptimizationLevel::O2, llvm::OptimizationLevel::O3};
  llvm::OptimizationLevel level = levels[std::min(options.optLevel, 3u)];
  llvm::ModulePassManager pipeline =
      level == llvm::OptimizationLevel::O0
          ? builder.buildO0DefaultPipeline(level)
          : builder.buildPerModuleDefaultPipeline(level);
  pipeline.run(llvmModule, modules);
  return llvm::Error::success();
}

/// Generates the object code of `llvmModule` into the file at `path`.
llvm::Error emitObjectFile(llvm::Module &llvmModule,
                           llvm::TargetMachine &machine,
                           llvm::StringRef path) {
  std::error_code ec;
  llvm::raw_fd_ostream object(path, ec);
  if (ec)
    return llvm::createStringError(ec, "cannot write '" + path + "'");
  llvm::legacy::PassManager codegen;
  if (machine.addPassesToEmitFile(codegen, object, nullptr,
                                  llvm::CodeGenFileType::ObjectFile))
    return llvm::createStringError("the target cannot emit object files");
  codegen.run(llvmModule);
  return llvm::Error::success();
}

/// The kernels of `llvmModule`: the functions it defines and exports.
int64_t countKernels(const llvm::Module &llvmModule) {
  return llvm::count_if(llvmModule, [](const llvm::Function &f) {
    return !f.isDeclaration() && !f.hasLocalLinkage() &&
           f.getVisibility() == llvm::GlobalValue::DefaultVisibility;
  });
}

/// What compiling `f` costs, about: its instructions, each weighed by the
/// 128-bit registers its widest vector takes (LLVM splits a vector wider
/// than the target's registers into many, each instruction then compiled
/// once per register).
int64_t estimateCompileCost(const llvm::Function &f) {
  const llvm::DataLayout &layout = f.getDataLayout();
  auto registers = [&](llvm::Type *type) -> int64_t {
    if (!llvm::isa<llvm::FixedVectorType>(type))
      return 1;
    int64_t bits = layout.getTypeSizeInBits(type).getFixedValue();
    return std::max<int64_t>(bits / 128, 1);
  };
  int64_t cost = 0;
  for (const llvm::Instruction &inst : llvm::instructions(f)) {
    int64_t widest = registers(inst.getType());
    for (const llvm::Value *operand : inst.operands())
      widest = std::max(widest, registers(operand->getType()));
    cost += widest;
  }
  return cost;
}

/// The functions whose code uses `value`, directly or through constants
/// (a constant expression, another global's initializer).
void collectUsingFunctions(const llvm::Value *value,
                           llvm::SmallPtrSetImpl<const llvm::Value *> &seen,
                           llvm::SetVector<const llvm::Function *> &functions) {
  for (const llvm::User *user : value->users()) {
    if (!seen.insert(user).second)
      continue;
    if (const auto *inst = llvm::dyn_cast<llvm::Instruction>(user))
      functions.insert(inst->getFunction());
    else
      collectUsingFunctions(user, seen, functions);
  }
}

/// Splits `llvmModule` into at most `parts` modules that together define
/// what it defines, each as bitcode. Functions go to parts the costliest
/// first (estimateCompileCost), each to the part that costs least so far, so
/// that the parts take about as long to compile. A global variable goes with
/// the first function using it. What a part uses of another's becomes a hidden
/// global; the rest stays local.
std::vector<llvm::SmallString<0>>
splitByCost(llvm::Module &llvmModule, unsigned parts,
            const llvm::DenseMap<const llvm::Function *, int64_t> &costs) {
  // (cost, position): the costliest first, in module order among
  // equals, so that the split is the same on every run.
  llvm::SmallVector<std::tuple<int64_t, size_t, llvm::Function *>> functions;
  for (llvm::Function &f : llvmModule)
    if (!f.isDeclaration())
      functions.push_back({costs.lookup(&f), functions.size(), &f});
  llvm::sort(functions, [](const auto &a, const auto &b) {
    return std::get<0>(a) != std::get<0>(b) ? std::get<0>(a) > std::get<0>(b)
                                            : std::get<1>(a) < std::get<1>(b);
  });
  parts = std::clamp<unsigned>(parts, 1, std::max<size_t>(functions.size(), 1));
  llvm::DenseMap<const llvm::GlobalValue *, unsigned> partOf;
  std::vector<int64_t> load(parts, 0);
  for (auto [size, position, f] : functions) {
    unsigned least = std::min_element(load.begin(), load.end()) - load.begin();
    partOf[f] = least;
    load[least] += size;
  }
  for (llvm::GlobalValue &value : llvmModule.global_values()) {
    if (value.isDeclaration())
      continue;
    llvm::SmallPtrSet<const llvm::Value *, 8> seen;
    llvm::SetVector<const llvm::Function *> users;
    collectUsingFunctions(&value, seen, users);
    auto owner = partOf.find(&value);
    if (owner == partOf.end())
      owner =
          partOf.insert({&value, users.empty() ? 0u : partOf.lookup(users[0])})
              .first;
    bool shared = llvm::any_of(users, [&](const llvm::Function *user) {
      return partOf.lookup(user) != owner->second;
    });
    if (shared && value.hasLocalLinkage()) {
      if (!value.hasName())
        value.setName("meld.local");
      value.setLinkage(llvm::GlobalValue::ExternalLinkage);
      value.setVisibility(llvm::GlobalValue::HiddenVisibility);
    }
  }
  std::vector<llvm::SmallString<0>> bitcode(parts);
  for (unsigned part = 0; part < parts; ++part) {
    llvm::ValueToValueMapTy map;
    std::unique_ptr<llvm::Module> clone =
        llvm::CloneModule(llvmModule, map, [&](const llvm::GlobalValue *value) {
          return partOf.lookup(value) == part;
        });
    llvm::raw_svector_ostream os(bitcode[part]);
    llvm::WriteBitcodeToFile(*clone, os);
  }
  return bitcode;
}

} // namespace

void meld::initializeHostTarget() {
  // Registering a target is not thread-safe, and meldc compiles several
  // host libraries at once.
  static std::once_flag initialized;
  std::call_once(initialized, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
}

namespace {

/// Translates `module` to LLVM IR for the host, with the target machine the
/// module's code is generated with.
llvm::Expected<std::unique_ptr<llvm::Module>>
translateForHost(ModuleOp module, llvm::LLVMContext &llvmContext,
                 const meld::HostObjectOptions &options,
                 std::unique_ptr<llvm::TargetMachine> &machine) {
  meld::initializeHostTarget();

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
  auto created = createTargetMachine(options);
  if (!created)
    return created.takeError();
  machine = std::move(*created);
  llvmModule->setTargetTriple(machine->getTargetTriple());
  llvmModule->setDataLayout(machine->createDataLayout());
  return std::move(llvmModule);
}

/// Translates `module` to LLVM IR for the host and optimizes it.
llvm::Expected<std::unique_ptr<llvm::Module>>
translateAndOptimize(ModuleOp module, llvm::LLVMContext &llvmContext,
                     const meld::HostObjectOptions &options,
                     std::unique_ptr<llvm::TargetMachine> &machine) {
  auto llvmModule = translateForHost(module, llvmContext, options, machine);
  if (!llvmModule)
    return llvmModule.takeError();
  if (llvm::Error err = optimize(**llvmModule, *machine, options))
    return std::move(err);
  return llvmModule;
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
  auto translated = translateForHost(module, llvmContext, options, machine);
  if (!translated)
    return translated.takeError();
  std::unique_ptr<llvm::Module> llvmModule = std::move(*translated);
  int64_t kernels = countKernels(*llvmModule);
  auto report = [&](int64_t done) {
    if (options.progress)
      options.progress(done, kernels);
  };

  // Temporary files: the objects, then the shared object linked from them.
  std::vector<llvm::SmallString<128>> paths;
  llvm::scope_exit cleanup([&] {
    for (const llvm::SmallString<128> &path : paths)
      llvm::sys::fs::remove(path);
  });
  auto createTemporary = [&](llvm::StringRef suffix) -> llvm::Error {
    paths.emplace_back();
    if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
            "meld-host", suffix, paths.back()))
      return llvm::createStringError(ec, "cannot create a temporary file");
    return llvm::Error::success();
  };
  if (llvm::Error err = createTemporary("so"))
    return std::move(err);
  std::string libraryPath = paths.back().str().str();

  // A module of many kernels or much code is split into parts (a kernel's
  // code depends on nothing else's), each optimized and compiled on its own
  // thread in its own LLVMContext; the linker joins them. One part:
  // compiled as it is. Every part declares what it uses of the others, so
  // the parts are at most a few per thread.
  llvm::ThreadPoolStrategy strategy = llvm::hardware_concurrency(options.threads);
  unsigned threads = strategy.compute_thread_count();
  llvm::DenseMap<const llvm::Function *, int64_t> costs;
  int64_t cost = 0;
  for (const llvm::Function &f : *llvmModule)
    if (!f.isDeclaration())
      cost += costs[&f] = estimateCompileCost(f);
  unsigned parts = std::clamp<int64_t>(
      std::max<int64_t>(kernels / std::max<int64_t>(options.kernelsPerPart, 1),
                        cost >= options.splitCost ? threads : 1),
      1, 4 * threads);
  if (parts == 1) {
    if (llvm::Error err = optimize(*llvmModule, *machine, options))
      return std::move(err);
    if (llvm::Error err = createTemporary("o"))
      return std::move(err);
    if (llvm::Error err =
            emitObjectFile(*llvmModule, *machine, paths.back()))
      return std::move(err);
    report(kernels);
  } else {
    // Parts travel as bitcode: an LLVMContext is not shared by threads.
    std::vector<llvm::SmallString<0>> bitcode =
        splitByCost(*llvmModule, parts, costs);
    llvmModule.reset();
    size_t firstObject = paths.size();
    for (size_t i = 0; i < bitcode.size(); ++i)
      if (llvm::Error err = createTemporary("o"))
        return std::move(err);

    std::mutex mutex;
    int64_t done = 0;
    std::vector<std::optional<llvm::Error>> errors(bitcode.size());
    llvm::StdThreadPool pool(strategy);
    for (size_t i = 0; i < bitcode.size(); ++i)
      pool.async([&, i] {
        auto compile = [&]() -> llvm::Error {
          llvm::LLVMContext partContext;
          auto part = llvm::parseBitcodeFile(
              llvm::MemoryBufferRef(bitcode[i].str(), "part"), partContext);
          if (!part)
            return part.takeError();
          int64_t partKernels = countKernels(**part);
          auto partMachine = createTargetMachine(options);
          if (!partMachine)
            return partMachine.takeError();
          if (llvm::Error err = optimize(**part, **partMachine, options))
            return err;
          if (llvm::Error err = emitObjectFile(**part, **partMachine,
                                               paths[firstObject + i]))
            return err;
          std::lock_guard<std::mutex> lock(mutex);
          done += partKernels;
          report(done);
          return llvm::Error::success();
        };
        errors[i] = compile();
      });
    pool.wait();
    llvm::Error all = llvm::Error::success();
    for (std::optional<llvm::Error> &err : errors)
      all = llvm::joinErrors(std::move(all), std::move(*err));
    if (all)
      return std::move(all);
  }

  std::string linker = options.linker.empty() ? MELD_DEFAULT_LINKER
                                              : options.linker;
  if (!llvm::sys::fs::exists(linker)) {
    // A name is looked up on the PATH; a path is where it is, or nowhere.
    auto found = llvm::sys::findProgramByName(linker);
    if (!found || !llvm::sys::fs::exists(*found))
      return llvm::createStringError("cannot find the linker '" + linker +
                                     "' (install lld)");
    linker = *found;
  }
  std::string errorMessage;
  llvm::SmallVector<llvm::StringRef> args = {
      linker, "-shared", "--no-undefined-version", "-o", libraryPath};
  for (size_t i = 1; i < paths.size(); ++i)
    args.push_back(paths[i]);
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
