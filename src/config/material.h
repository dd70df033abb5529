// Material: what a deposited item is made of, the unit the machine accepts,
// prices and reports by. The detector's labels are free strings; configuration
// maps each label to one of these. Plain enum and pure conversions;
// thread-safe.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace rvm {

enum class Material {
  kPet,        // PET (plastic) bottle
  kAluminium,  // aluminium can
  kGlass,      // glass bottle
  kOther,      // recognised, but not a deposit container
};

inline constexpr std::array<Material, 4> kAllMaterials = {Material::kPet, Material::kAluminium,
                                                          Material::kGlass, Material::kOther};

// The configuration and decision-record name: "pet", "aluminium", "glass", "other".
std::string_view MaterialName(Material m);

// Inverse of MaterialName; nullopt for anything else (case-sensitive).
std::optional<Material> ParseMaterial(std::string_view name);

// The platform's item `type` vocabulary (edge v1 transactions):
// "plastic_bottle", "aluminum_can", "glass_bottle", "other".
std::string_view PlatformItemType(Material m);

}  // namespace rvm
