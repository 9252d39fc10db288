from django.db import models
from django.utils.translation import gettext_lazy as _

from mourafaka.core.models import BilingualNameMixin


class Region(BilingualNameMixin):
    """One of the 12 regions of the 2015 division (HCP code 01…12)."""

    code = models.CharField(_("code"), max_length=2, unique=True)
    iso_code = models.CharField(_("ISO 3166-2 code"), max_length=6, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")


class Delegation(BilingualNameMixin):
    """A regional delegation of the office: the set of provinces it follows (may span regions)."""

    code = models.CharField(_("code"), max_length=16, unique=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("regional delegation")
        verbose_name_plural = _("regional delegations")


class Province(BilingualNameMixin):
    """A prefecture or province (HCP code RR.PPP)."""

    class Kind(models.TextChoices):
        PREFECTURE = "prefecture", _("Prefecture")
        PROVINCE = "province", _("Province")

    code = models.CharField(_("code"), max_length=6, unique=True)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="provinces", verbose_name=_("region")
    )
    delegation = models.ForeignKey(
        Delegation,
        on_delete=models.PROTECT,
        related_name="provinces",
        verbose_name=_("regional delegation"),
        null=True,
        blank=True,
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    iso_code = models.CharField(_("ISO 3166-2 code"), max_length=6, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("prefecture or province")
        verbose_name_plural = _("prefectures and provinces")


class Zone(BilingualNameMixin):
    """A group of regions used to stage a programme (Z1–Z3 in tranche 4)."""

    code = models.CharField(_("code"), max_length=8, unique=True)
    regions = models.ManyToManyField(Region, related_name="zones", verbose_name=_("regions"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("zone")
        verbose_name_plural = _("zones")


class RegionStatistic(models.Model):
    """Published figures per region (cooperatives, members), used as reference and for synthetic data."""

    region = models.OneToOneField(Region, on_delete=models.CASCADE, related_name="statistic")
    cooperatives = models.PositiveIntegerField(_("cooperatives"))
    members = models.PositiveIntegerField(_("members"))
    beneficiaries_tranches_2_3 = models.PositiveIntegerField(_("beneficiaries of tranches 2 and 3"))
    source = models.CharField(_("source"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("region statistic")
        verbose_name_plural = _("region statistics")

    def __str__(self) -> str:
        return str(self.region)
