#include "config/material.h"

namespace rvm {

std::string_view MaterialName(Material m) {
  switch (m) {
    case Material::kPet:
      return "pet";
    case Material::kAluminium:
      return "aluminium";
    case Material::kGlass:
      return "glass";
    case Material::kOther:
      return "other";
  }
  return "other";
}

std::optional<Material> ParseMaterial(std::string_view name) {
  for (Material m : kAllMaterials) {
    if (MaterialName(m) == name) return m;
  }
  return std::nullopt;
}

std::string_view PlatformItemType(Material m) {
  switch (m) {
    case Material::kPet:
      return "plastic_bottle";
    case Material::kAluminium:
      return "aluminum_can";
    case Material::kGlass:
      return "glass_bottle";
    case Material::kOther:
      return "other";
  }
  return "other";
}

}  // namespace rvm
