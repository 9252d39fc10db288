from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import services
from .models import (
    Answer,
    Axis,
    CapacityPlanItem,
    DevelopmentAction,
    DevelopmentObjective,
    Diagnostic,
    DiagnosticAttachment,
    Question,
    Template,
)


def _template_of(obj):
    if obj is None:
        return None
    return obj if isinstance(obj, Template) else obj.template


class LockedWhenPublished:
    """A published or retired template (and its axes and questions) is read-only: make a new version."""

    def has_change_permission(self, request, obj=None):
        template = _template_of(obj)
        if template is not None and not template.is_editable:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        template = _template_of(obj)
        if template is not None and not template.is_editable:
            return False
        return super().has_delete_permission(request, obj)


class AxisInline(LockedWhenPublished, admin.TabularInline):
    model = Axis
    extra = 0
    fields = ["order", "code", "name_fr", "name_ar", "weight"]


@admin.register(Template)
class TemplateAdmin(LockedWhenPublished, admin.ModelAdmin):
    list_display = ["code", "version", "title_fr", "status"]
    list_filter = ["status"]
    search_fields = ["code", "title_fr", "title_ar"]
    inlines = [AxisInline]
    actions = ["make_new_version", "publish"]

    @admin.action(description=_("Make a new draft version"))
    def make_new_version(self, request, queryset):
        for template in queryset:
            copy = services.new_version(template)
            self.message_user(request, _("Created %(template)s.") % {"template": copy})

    @admin.action(description=_("Publish"))
    def publish(self, request, queryset):
        for template in queryset:
            try:
                services.publish(template)
            except ValidationError as error:
                self.message_user(request, "; ".join(error.messages), messages.ERROR)


@admin.register(Question)
class QuestionAdmin(LockedWhenPublished, admin.ModelAdmin):
    list_display = ["code", "template", "axis", "type", "weight", "required"]
    list_filter = ["template", "type", "required"]
    search_fields = ["code", "text_fr", "text_ar"]
    list_select_related = ["template", "axis"]


class AnswerInline(admin.TabularInline):
    model = Answer
    extra = 0
    fields = ["question", "value", "saved_at", "saved_by"]
    readonly_fields = ["question", "value", "saved_at", "saved_by"]
    can_delete = False


@admin.register(Diagnostic)
class DiagnosticAdmin(admin.ModelAdmin):
    list_display = ["__str__", "stage", "consultant", "status", "submitted_at", "validated_at"]
    list_filter = ["status", "stage", "template"]
    search_fields = ["enrolment__cooperative__name_fr", "enrolment__cooperative__registration_number"]
    list_select_related = ["enrolment__cooperative", "enrolment__edition", "consultant"]
    raw_id_fields = ["enrolment", "consultant", "validated_by"]
    readonly_fields = ["status", "submitted_at", "validated_at", "validated_by"]
    inlines = [AnswerInline]


@admin.register(DiagnosticAttachment)
class DiagnosticAttachmentAdmin(admin.ModelAdmin):
    list_display = ["__str__", "diagnostic", "kind", "content_type", "size", "uploaded_by", "uploaded_at"]
    list_filter = ["kind"]
    search_fields = ["caption", "original_name", "diagnostic__enrolment__cooperative__name_fr"]
    list_select_related = [
        "diagnostic__enrolment__cooperative",
        "diagnostic__enrolment__edition",
        "uploaded_by",
    ]
    raw_id_fields = ["diagnostic", "uploaded_by"]
    readonly_fields = ["original_name", "content_type", "size", "uploaded_by", "uploaded_at"]

    def has_add_permission(self, request):
        return False  # files come in through the fill page or the API, where their content is checked


@admin.register(CapacityPlanItem)
class CapacityPlanItemAdmin(admin.ModelAdmin):
    list_display = ["diagnostic", "priority", "kind", "code", "label_fr", "source", "status", "pinned"]
    list_filter = ["kind", "source", "status"]
    search_fields = ["code", "label_fr", "label_ar", "diagnostic__enrolment__cooperative__name_fr"]
    list_select_related = ["diagnostic__enrolment__cooperative", "diagnostic__enrolment__edition"]
    raw_id_fields = ["diagnostic", "axis"]


class DevelopmentActionInline(admin.TabularInline):
    model = DevelopmentAction
    extra = 0
    fields = [
        "what",
        "who",
        "start_month",
        "end_month",
        "cost_mad",
        "indicator",
        "target",
        "status",
        "progress",
    ]


@admin.register(DevelopmentObjective)
class DevelopmentObjectiveAdmin(admin.ModelAdmin):
    list_display = ["title", "diagnostic", "axis", "order"]
    search_fields = ["title", "diagnostic__enrolment__cooperative__name_fr"]
    list_select_related = ["diagnostic__enrolment__cooperative", "diagnostic__enrolment__edition", "axis"]
    raw_id_fields = ["diagnostic", "axis"]
    inlines = [DevelopmentActionInline]
