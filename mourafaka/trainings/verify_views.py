from django.http import Http404


def verify(request, code):
    raise Http404
