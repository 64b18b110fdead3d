#include "backend/fallback.hpp"

namespace nn::detail {

void run_kernel(Backend& be, Kernel kernel, const std::vector<const Tensor*>& inputs,
                const std::vector<Tensor*>& outputs, const KernelFn& fn) {
  std::vector<const void*> in;
  std::vector<void*> out;
  if (be.supports(kernel)) {
    for (const Tensor* t : inputs) in.push_back(t->untyped_data_ptr());
    for (Tensor* t : outputs) out.push_back(t->untyped_data_ptr());
    fn(be, in, out);
    return;
  }
  std::vector<Tensor> host_in, host_out;
  host_in.reserve(inputs.size());
  host_out.reserve(outputs.size());
  for (const Tensor* t : inputs) {
    host_in.push_back(t->to(Device::cpu()));
    in.push_back(host_in.back().untyped_data_ptr());
  }
  for (Tensor* t : outputs) {  // with their contents: a kernel may update its output in place
    host_out.push_back(t->to(Device::cpu()));
    out.push_back(host_out.back().untyped_data_ptr());
  }
  fn(backend_for(Device::cpu()), in, out);
  for (size_t i = 0; i < outputs.size(); ++i) outputs[i]->copy_from(host_out[i]);
}

}  // namespace nn::detail
