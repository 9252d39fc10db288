from django.contrib import admin

from .models import Delegation, Province, Region, RegionStatistic, Zone


class ProvinceInline(admin.TabularInline):
    model = Province
    fields = ["code", "name_fr", "name_ar", "kind", "delegation"]
    extra = 0


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name_fr", "name_ar", "iso_code"]
    search_fields = ["code", "name_fr", "name_ar"]
    inlines = [ProvinceInline]


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ["code", "name_fr", "name_ar", "kind", "region", "delegation"]
    list_filter = ["region", "delegation", "kind"]
    search_fields = ["code", "name_fr", "name_ar"]


@admin.register(Delegation)
class DelegationAdmin(admin.ModelAdmin):
    list_display = ["code", "name_fr", "name_ar"]
    search_fields = ["code", "name_fr", "name_ar"]


@admin.register(Zone)
class ZoneAdmin(admin.ModelAdmin):
    list_display = ["code", "name_fr"]
    filter_horizontal = ["regions"]


@admin.register(RegionStatistic)
class RegionStatisticAdmin(admin.ModelAdmin):
    list_display = ["region", "cooperatives", "members", "beneficiaries_tranches_2_3"]
